import '@backstage/cli/asset-types';
import ReactDOM from 'react-dom/client';
import App from './App';
// Backstage UI's styles, as create-app's template imports them: without them the catalog pages
// lay out one sidebar width wider than the window.
import '@backstage/ui/css/styles.css';

ReactDOM.createRoot(document.getElementById('root')!).render(App.createRoot());
