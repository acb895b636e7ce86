import { createRoot } from 'react-dom/client';

/** The staff workbench entry (Ant Design); filled in by the workbench screens. */
function StaffApp() {
  return <p>共治 · 工作台</p>;
}

createRoot(document.getElementById('root')!).render(<StaffApp />);
