import { createPortalBackend } from './backend';

createPortalBackend().start();
