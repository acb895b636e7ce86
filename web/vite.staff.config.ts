import { defineConfig } from 'vite';
import { webConfig } from './vite.config.ts';

/** The staff workbench's build (React 19, Ant Design, ECharts): see webConfig in vite.config.ts. */
export default defineConfig(webConfig('staff'));
