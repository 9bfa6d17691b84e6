import { PropsWithChildren } from 'react';
import HomeIcon from '@material-ui/icons/Home';
import {
  Sidebar,
  SidebarDivider,
  SidebarItem,
  SidebarPage,
  SidebarSpace,
} from '@backstage/core-components';

export const Root = ({ children }: PropsWithChildren<{}>) => (
  <SidebarPage>
    <Sidebar>
      <SidebarDivider />
      <SidebarItem icon={HomeIcon} to="catalog" text="Catalog" />
      <SidebarSpace />
    </Sidebar>
    {children}
  </SidebarPage>
);
