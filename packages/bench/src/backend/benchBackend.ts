/*
 * The backend the benchmark starts: the portal's own (packages/backend, every plugin and
 * module it runs) with the floor plugin beside them, so both routes share one process.
 */
// packages/backend's entry point starts the backend when imported; this file builds on the
// function it starts, which the package (an application, not a library) does not export.
// eslint-disable-next-line @backstage/no-forbidden-package-imports
import { createPortalBackend } from 'backend/src/backend';
import { benchFloorPlugin } from './floorPlugin';

const backend = createPortalBackend();
backend.add(benchFloorPlugin);
backend.start();
