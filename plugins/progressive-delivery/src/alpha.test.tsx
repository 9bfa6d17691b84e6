import plugin from './alpha';

describe('new frontend system plugin', () => {
  it('provides the API, the entity tab and the entity card under stable extension ids', () => {
    // App config (app.extensions) refers to these ids to configure or disable them.
    expect(plugin.pluginId).toBe('progressive-delivery');
    expect(plugin.getExtension('api:progressive-delivery')).toBeDefined();
    expect(
      plugin.getExtension(
        'entity-content:progressive-delivery/progressive-delivery',
      ),
    ).toBeDefined();
    expect(
      plugin.getExtension(
        'entity-card:progressive-delivery/progressive-delivery',
      ),
    ).toBeDefined();
  });

  it('provides the waiting page, which the navigation lists by its title and icon', () => {
    const page = plugin.getExtension(
      'page:progressive-delivery/waiting',
    ) as any;
    expect(page).toBeDefined();
    expect(page.kind).toBe('page');
  });
});
