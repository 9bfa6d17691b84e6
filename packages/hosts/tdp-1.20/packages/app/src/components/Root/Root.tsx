import React, { PropsWithChildren } from 'react';
import CategoryIcon from '@material-ui/icons/Category';
import { Sidebar, SidebarItem, SidebarPage } from '@backstage/core-components';

export const Root = ({ children }: PropsWithChildren<{}>) => (
  <SidebarPage>
    <Sidebar>
      <SidebarItem icon={CategoryIcon} to="catalog" text="Catalog" />
    </Sidebar>
    {children}
  </SidebarPage>
);
