import {
  Sidebar,
  SidebarDivider,
  SidebarItem,
  SidebarScrollWrapper,
  SidebarSpace,
} from '@backstage/core-components';
import { createFrontendModule } from '@backstage/frontend-plugin-api';
import { NavContentBlueprint } from '@backstage/plugin-app-react';

const sidebarContent = NavContentBlueprint.make({
  params: {
    component: ({ navItems }) => {
      const items = navItems.withComponent(item => (
        <SidebarItem to={item.href} text={item.title} icon={() => item.icon} />
      ));
      return (
        <Sidebar>
          <SidebarDivider />
          {/* The catalog is this portal's home page: its item comes first. */}
          {items.take('page:catalog')}
          <SidebarScrollWrapper>
            {items.rest({ sortBy: 'title' })}
          </SidebarScrollWrapper>
          <SidebarSpace />
        </Sidebar>
      );
    },
  },
});

export const navModule = createFrontendModule({
  pluginId: 'app',
  extensions: [sidebarContent],
});
