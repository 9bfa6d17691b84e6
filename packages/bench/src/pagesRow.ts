/* The pages row: the 200-canary tab, its entity's Overview and the "Waiting for you" page. */
import { OWNED_ENTITIES, ownedEntityName } from './benchConfig';
import { RENDER_APP } from './canaries';
import { measurePages } from './frontend';
import { log } from './log';
import { PortalClient } from './portalClient';
import { FrontendResult, rendererWorkText } from './report';

const RENDER_ENTITY = `component:default/${RENDER_APP}`;

/** The pages in one chromium, taking turns; what went wrong instead when they did not show. */
export async function measureEntityPages(options: {
  portal: PortalClient;
  portalUrl: string;
  screenshotDir: string;
  renderCanaries: number;
}): Promise<NonNullable<FrontendResult['pages']>> {
  try {
    await options.portal.waitForEntity(RENDER_ENTITY);
    await options.portal.waitForEntity(
      `component:default/${ownedEntityName(OWNED_ENTITIES - 1)}`,
    );
    const entityPage = `/catalog/default/component/${RENDER_APP}`;
    const pages = await measurePages({
      portalUrl: options.portalUrl,
      screenshotDir: options.screenshotDir,
      pages: [
        {
          name: 'tab',
          path: `${entityPage}/progressive-delivery`,
          ready: {
            kind: 'canary-sections',
            prefix: 'render-',
            expected: options.renderCanaries,
          },
        },
        {
          name: 'overview',
          path: entityPage,
          ready: { kind: 'overview', prefix: 'render-' },
        },
        {
          name: 'waiting',
          path: '/progressive-delivery',
          ready: { kind: 'waiting-sections', sections: 3 },
        },
      ],
    });
    for (const page of pages) {
      log(
        `  ${page.name} page (${page.path}): ${page.medianMs.toFixed(
          0,
        )} ms (samples ${page.samplesMs
          .map(sample => sample.toFixed(0))
          .join(', ')})${page.work ? `, ${rendererWorkText(page.work)}` : ''}`,
      );
    }
    return pages;
  } catch (error) {
    log(`  pages not measured: ${(error as Error).message}`);
    return { error: (error as Error).message };
  }
}
