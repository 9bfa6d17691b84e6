import { screen, within } from '@testing-library/react';
import { renderInTestApp } from '@backstage/test-utils';
import { ImageComparison } from './ImageComparison';

const side = (name: string, ...images: Array<[string, string]>) => ({
  name,
  images: images.map(([container, image]) => ({ container, image })),
});

describe('ImageComparison', () => {
  it('shows primary and canary as name:tag, marks what changed, keeps the full reference at hand', async () => {
    await renderInTestApp(
      <ImageComparison
        primary={side('app-primary', [
          'app',
          'registry.example.com/team/payments/app:1.4.2',
        ])}
        canary={side('app', [
          'app',
          'registry.example.com/team/payments/app:1.5.0',
        ])}
      />,
    );
    const group = screen.getByRole('group', { name: 'image changes' });
    expect(group).toHaveTextContent('Primaryapp:1.4.2Canaryapp:1.5.0');
    expect(
      Array.from(group.querySelectorAll('mark')).map(m => m.textContent),
    ).toEqual(['1.4.2', '1.5.0']);
    expect(
      group.querySelector(
        '[title="registry.example.com/team/payments/app:1.5.0"]',
      ),
    ).toHaveTextContent('app:1.5.0');
    expect(
      within(group).getByRole('button', {
        name: 'Copy registry.example.com/team/payments/app:1.4.2',
      }),
    ).toBeInTheDocument();
  });

  it('compares in full when only the registry differs', async () => {
    await renderInTestApp(
      <ImageComparison
        primary={side('p', ['app', 'old.example.com/app:1'])}
        canary={side('c', ['app', 'new.example.com/app:1'])}
      />,
    );
    const marks = Array.from(
      screen.getByRole('group').querySelectorAll('mark'),
    ).map(m => m.textContent);
    expect(marks).toEqual(['old.example.com/app:1', 'new.example.com/app:1']);
  });

  it('says "no change" for a container whose image is the same on both sides, and names containers', async () => {
    await renderInTestApp(
      <ImageComparison
        primary={side(
          'p',
          ['app', 'ghcr.io/x/app:2'],
          ['sidecar', 'ghcr.io/x/proxy:9'],
        )}
        canary={side(
          'c',
          ['app', 'ghcr.io/x/app:3'],
          ['sidecar', 'ghcr.io/x/proxy:9'],
        )}
      />,
    );
    expect(
      screen.getByRole('group', { name: 'app · image changes' }),
    ).toHaveTextContent('app · Primaryapp:2app · Canaryapp:3');
    expect(screen.getByText('sidecar · Both')).toBeInTheDocument();
    expect(screen.getByText('(no change)')).toBeInTheDocument();
  });

  it('says when no image is known yet', async () => {
    await renderInTestApp(<ImageComparison />);
    expect(screen.getByText('Images not known yet.')).toBeInTheDocument();
  });
});
