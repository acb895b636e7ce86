import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { StaffApp } from './App.tsx';
import './staff.css';

/** The staff workbench entry (Ant Design; the dashboard's ECharts load on demand). */
const root = document.getElementById('root');
if (!root) throw new Error('staff.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <StaffApp />
  </StrictMode>,
);
