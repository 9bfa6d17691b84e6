import { useCallback, useRef, useState } from 'react';

/** How far outside the visible area an element counts as near: a few screens of scrolling. */
export const NEAR_MARGIN_PX = 1500;

/** The element's nearest ancestor that scrolls; null for the document itself. */
function scrollingAncestor(element: Element): Element | null {
  for (
    let parent = element.parentElement;
    parent && parent !== document.body && parent !== document.documentElement;
    parent = parent.parentElement
  ) {
    const { overflowY } = window.getComputedStyle(parent);
    if (overflowY === 'auto' || overflowY === 'scroll') return parent;
  }
  return null;
}

/**
 * Whether an element has come within {@link NEAR_MARGIN_PX} of what its scrolling container
 * shows. Once near, it stays near, so what was rendered keeps its state. Without
 * IntersectionObserver it is near at once; so it is when `deferred` is false.
 *
 * Backstage pages scroll inside their own container, not the document, so the margin is
 * measured against that container: a margin on the viewport would be clipped away by it.
 */
export function useNearViewport<T extends Element>(
  deferred: boolean,
): [boolean, (element: T | null) => void] {
  const [near, setNear] = useState(
    !deferred || typeof IntersectionObserver === 'undefined',
  );
  const observer = useRef<IntersectionObserver>();
  // React calls the ref with null when the element goes, which disconnects the observer.
  const track = useCallback(
    (element: T | null) => {
      observer.current?.disconnect();
      observer.current = undefined;
      if (!element || near) return;
      observer.current = new IntersectionObserver(
        entries => {
          if (entries.some(entry => entry.isIntersecting)) {
            observer.current?.disconnect();
            setNear(true);
          }
        },
        {
          root: scrollingAncestor(element),
          rootMargin: `${NEAR_MARGIN_PX}px 0px`,
        },
      );
      observer.current.observe(element);
    },
    [near],
  );
  return [near, track];
}
