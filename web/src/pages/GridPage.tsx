import {
  type FormEvent,
  type ReactNode,
  useEffect,
  useId,
  useMemo,
  useRef,
  useState,
  useSyncExternalStore,
} from 'react';
import {
  ApiError,
  api,
  type CaseListItem,
  type CaseQueue,
  type GridCollection,
  type GridFeature,
  type Regions,
  type StaffUser,
} from '../api.ts';
import { CategoryPicker, type PickedCategory } from '../components/CategoryPicker.tsx';
import { GridMap, type MapMarker } from '../components/GridMap.tsx';
import { PhotoPicker } from '../components/PhotoPicker.tsx';
import { LOCATE_MESSAGES, LocateIcon } from '../components/PlacePicker.tsx';
import { EmptyState, ErrorState, Loading } from '../components/Status.tsx';
import { charCount, TextAreaField } from '../components/TextAreaField.tsx';
import { formatArea, formatDateTime, formatDistance, formatDuration } from '../format.ts';
import { LocateError, type LocateFailure, locate } from '../geolocate.ts';
import { type EventReport, outbox, startOutbox, useOutbox } from '../grid/outbox.ts';
import {
  clearPatrol,
  patrol,
  rememberedVillage,
  rememberVillage,
  resumePatrol,
  startPatrol,
  stopPatrol,
  walked,
} from '../grid/patrol.ts';
import { flushPatrol, pending, startPatrolSync } from '../grid/patrol-sync.ts';
import { useDocumentTitle } from '../hooks.ts';
import { labelFor, useLang, useT } from '../i18n.ts';
import { clearDraft, loadDraft, saveDraft } from '../offline/draft.ts';
import type { QueueItem } from '../offline/queue.ts';
import type { Photo } from '../photos.ts';
import { useStore } from '../prefs.ts';
import { href, Link, useLocation } from '../router.tsx';
import { loadSession, signedOut, useSession } from '../session.ts';
import { type AsyncResult, useAsync } from '../useAsync.ts';

const ROLES = new Set(['grid_worker', 'cadre']);
const TABS = ['map', 'report', 'tasks'] as const;
type Tab = (typeof TABS)[number];
const CLOSED = new Set(['closed', 'voided', 'merged']);

const gridCache = new Map<string, GridCollection>();
const regionsCache = new Map<string, Regions>();
const positionCache = new Map<string, MapMarker[]>();

function subscribeOnline(cb: () => void) {
  window.addEventListener('online', cb);
  window.addEventListener('offline', cb);
  return () => {
    window.removeEventListener('online', cb);
    window.removeEventListener('offline', cb);
  };
}

function useOnline(): boolean {
  return useSyncExternalStore(
    subscribeOnline,
    () => navigator.onLine,
    () => true,
  );
}

/** `/grid`: the grid worker's phone app — my grid, patrols, event reports (offline first), my tasks. */
export function GridPage() {
  const t = useT();
  const session = useSession();
  useDocumentTitle(t('grid.title'));

  if (session.status === 'loading') return <Loading />;
  if (session.status === 'error')
    return (
      <section className="card">
        <ErrorState error={session.error} onRetry={() => void loadSession()} />
      </section>
    );
  if (session.status !== 'staff' || !ROLES.has(session.user.role)) {
    return (
      <>
        <h1 tabIndex={-1} className="page-title">
          {t('grid.title')}
        </h1>
        <section className="card">
          <p>{session.status === 'staff' ? t('grid.wrongRole') : t('grid.signInNeeded')}</p>
          <Link
            to={session.status === 'staff' ? '/me' : href('/login', { next: '/grid' })}
            className="btn btn-primary"
          >
            {session.status === 'staff' ? t('nav.me') : t('grid.signIn')}
          </Link>
        </section>
      </>
    );
  }
  return <Workbench user={session.user} />;
}

function Workbench({ user }: { user: StaffUser }) {
  const t = useT();
  const { query } = useLocation();
  const tab: Tab = (TABS as readonly string[]).includes(query.get('tab') ?? '')
    ? (query.get('tab') as Tab)
    : 'map';
  const online = useOnline();
  const items = useOutbox();
  const owner = String(user.id);
  const mine = items.filter((i) => i.owner === owner);
  const waiting = mine.filter((i) => i.status === 'queued' || i.status === 'sending').length;
  const failed = mine.filter((i) => i.status === 'failed').length;

  useEffect(() => {
    startOutbox();
    // Signed in (again): whatever waited for a session goes now.
    void outbox().drain({ force: true });
    resumePatrol(owner);
    startPatrolSync(window);
    void flushPatrol();
  }, [owner]);

  const [village, setVillage] = useState<string | null>(() =>
    user.org.kind === 'village' ? String(user.org.id) : rememberedVillage(owner),
  );
  const chooseVillage = (v: string) => {
    rememberVillage(owner, v);
    setVillage(v);
  };

  // Reload the server lists when a report has just been sent.
  const sentCount = mine.filter((i) => i.status === 'sent').length;
  const [refresh, setRefresh] = useState(0);
  const seenSent = useRef(sentCount);
  useEffect(() => {
    if (seenSent.current === sentCount) return;
    seenSent.current = sentCount;
    setRefresh((n) => n + 1);
  }, [sentCount]);

  const reported = useAsync(`reported:${owner}:${refresh}`, (s) =>
    api.cases({ queue: 'reported_by_me', type: 'event', limit: 50 }, s),
  );
  useEffect(() => {
    if (reported.state.status === 'error' && reported.state.error.status === 401) signedOut();
  }, [reported.state]);

  const tabLabel: Record<Tab, string> = {
    map: t('grid.tabMap'),
    report: t('grid.tabReport'),
    tasks: waiting + failed > 0 ? t('grid.tabTasksCount', { n: waiting + failed }) : t('grid.tabTasks'),
  };

  return (
    <div className="grid-app">
      <h1 tabIndex={-1} className="page-title">
        {t('grid.title')}
      </h1>
      <p className="muted">
        {user.displayName} · {user.org.name}
      </p>
      <p className={online ? 'net-status' : 'net-status offline'} role="status">
        <span className="net-dot" aria-hidden="true" />
        {online ? t('grid.online') : t('grid.offline')}
      </p>
      <nav className="seg-tabs" aria-label={t('grid.tabsLabel')}>
        {TABS.map((k) => (
          <Link
            key={k}
            to={href('/grid', { tab: k === 'map' ? null : k })}
            replace
            className="seg-tab"
            aria-current={tab === k ? 'page' : undefined}
          >
            {tabLabel[k]}
          </Link>
        ))}
      </nav>

      {!village ? (
        <VillageChooser user={user} onChoose={chooseVillage} />
      ) : (
        <VillageWork
          user={user}
          village={village}
          tab={tab}
          reported={reported.state.status === 'ok' ? reported.state.data.items : undefined}
          reportedState={reported}
          outboxItems={mine}
          onReported={() => setRefresh((n) => n + 1)}
          onChangeVillage={user.org.kind === 'village' ? undefined : () => setVillage(null)}
        />
      )}
    </div>
  );
}

/** A cadre's unit is a township: they choose the village they patrol (remembered on the device). */
function VillageChooser({ user, onChoose }: { user: StaffUser; onChoose: (v: string) => void }) {
  const t = useT();
  const id = useId();
  const { state, reload } = useAsync('regions', (s) => api.regions(s), regionsCache);
  const [township, setTownship] = useState<string>(user.org.kind === 'township' ? String(user.org.id) : '');
  if (state.status === 'loading') return <Loading label={t('regions.loading')} />;
  if (state.status === 'error') return <ErrorState error={state.error} onRetry={reload} />;
  const tw = state.data.townships.find((x) => x.code === township);
  return (
    <section className="card" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>{t('grid.chooseVillage')}</h2>
      <p className="muted">{t('grid.chooseVillageNote')}</p>
      <div className="field">
        <label htmlFor={`${id}-tw`}>{t('place.township')}</label>
        <select id={`${id}-tw`} value={township} onChange={(e) => setTownship(e.currentTarget.value)}>
          <option value="">{t('place.choose')}</option>
          {state.data.townships.map((x) => (
            <option key={x.code} value={x.code}>
              {x.name}
            </option>
          ))}
        </select>
      </div>
      {tw ? (
        <ul className="list">
          {tw.villages.map((v) => (
            <li key={v.code}>
              <button type="button" className="list-item list-button" onClick={() => onChoose(v.code)}>
                <span className="list-main">
                  <span className="list-title">{v.name}</span>
                  <span className="list-meta">{t('regions.gridCount', { n: v.gridCount })}</span>
                </span>
                <span className="chevron" aria-hidden="true">
                  ›
                </span>
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}

interface WorkProps {
  user: StaffUser;
  village: string;
  tab: Tab;
  reported: CaseListItem[] | undefined;
  reportedState: AsyncResult<{ items: CaseListItem[]; hasMore: boolean }>;
  outboxItems: QueueItem<EventReport>[];
  onReported: () => void;
  onChangeVillage: (() => void) | undefined;
}

/** The three tabs, sharing the village's shapes, my grid and my reports. All stay mounted (drafts, map). */
function VillageWork({
  user,
  village,
  tab,
  reported,
  reportedState,
  outboxItems,
  onReported,
  onChangeVillage,
}: WorkProps) {
  const t = useT();
  const shapes = useAsync(`grids:${village}`, (s) => api.publicGrids(village, s), gridCache);
  const staffGrids = useAsync(`staff-grids:${village}`, (s) => api.grids(village, s));
  const myGrid =
    staffGrids.state.status === 'ok'
      ? staffGrids.state.data.items.find((g) => g.workerNames.includes(user.displayName))
      : undefined;
  const features =
    shapes.state.status === 'ok' ? (shapes.state.data.features ?? []).filter((f) => f.geometry) : [];
  const eventMarkers = useEventMarkers(reported);
  const queuedMarkers: MapMarker[] = outboxItems
    .filter((i) => i.status !== 'sent' && i.payload.lon != null && i.payload.lat != null)
    .map((i) => ({
      id: `q-${i.key}`,
      kind: 'queued',
      lon: i.payload.lon!,
      lat: i.payload.lat!,
      title: i.label,
    }));

  const mapState =
    shapes.state.status === 'loading' ? (
      <Loading label={t('grids.loading')} />
    ) : shapes.state.status === 'error' ? (
      <ErrorState error={shapes.state.error} onRetry={shapes.reload} />
    ) : features.length === 0 ? (
      <EmptyState>{t('grid.noShapes')}</EmptyState>
    ) : null;

  return (
    <>
      <div hidden={tab !== 'map'}>
        <MapTab
          user={user}
          features={features}
          mapState={mapState}
          myGridId={myGrid ? String(myGrid.id) : null}
          staffGridsLoaded={staffGrids.state.status === 'ok'}
          eventMarkers={eventMarkers}
          queuedMarkers={queuedMarkers}
          onChangeVillage={onChangeVillage}
        />
      </div>
      <div hidden={tab !== 'report'}>
        <ReportForm
          user={user}
          village={village}
          features={features}
          mapState={mapState}
          myGridId={myGrid ? String(myGrid.id) : null}
        />
      </div>
      <div hidden={tab !== 'tasks'}>
        <TasksTab
          user={user}
          outboxItems={outboxItems}
          reported={reported}
          reportedState={reportedState}
          onChanged={onReported}
        />
      </div>
    </>
  );
}

/** Where my open events are: the list has no position, so the newest 20 are read one by one (4 at a time). */
function useEventMarkers(items: CaseListItem[] | undefined): MapMarker[] {
  const open = (items ?? []).filter((i) => !CLOSED.has(i.state)).slice(0, 20);
  const key = open.map((i) => `${i.id}:${i.version}`).join(',');
  const { state } = useAsync(
    key ? `event-positions:${key}` : null,
    async (signal) => {
      const out: MapMarker[] = [];
      for (let i = 0; i < open.length; i += 4) {
        const batch = await Promise.all(
          open.slice(i, i + 4).map((c) =>
            api.case(c.id, signal).then(
              (d) => d.case,
              () => null,
            ),
          ),
        );
        for (const c of batch) {
          if (c && c.location.lon !== null && c.location.lat !== null) {
            out.push({
              id: c.id,
              kind: 'event',
              lon: c.location.lon,
              lat: c.location.lat,
              title: `${c.code} ${c.title}`,
            });
          }
        }
      }
      return out;
    },
    positionCache,
  );
  return state.status === 'ok' ? state.data : [];
}

function Legend({ events, queued, track }: { events: number; queued: number; track: boolean }) {
  const t = useT();
  return (
    <ul className="map-legend">
      <li>
        <svg width="16" height="16" aria-hidden="true">
          <circle cx="8" cy="8" r="6" className="map-marker map-marker-event" />
        </svg>
        {t('grid.legendEvents', { n: events })}
      </li>
      <li>
        <svg width="16" height="16" aria-hidden="true">
          <circle cx="8" cy="8" r="5" className="map-marker map-marker-queued" />
        </svg>
        {t('grid.legendQueued', { n: queued })}
      </li>
      <li>
        <svg width="16" height="16" aria-hidden="true">
          <circle cx="8" cy="8" r="6" className="map-marker map-marker-me" />
        </svg>
        {t('grid.legendMe')}
      </li>
      {track ? (
        <li>
          <svg width="22" height="16" aria-hidden="true">
            <path d="M2 12 L10 5 L20 9" className="map-track" />
          </svg>
          {t('grid.legendTrack')}
        </li>
      ) : null}
    </ul>
  );
}

function MapTab({
  user,
  features,
  mapState,
  myGridId,
  staffGridsLoaded,
  eventMarkers,
  queuedMarkers,
  onChangeVillage,
}: {
  user: StaffUser;
  features: GridFeature[];
  mapState: ReactNode;
  myGridId: string | null;
  staffGridsLoaded: boolean;
  eventMarkers: MapMarker[];
  queuedMarkers: MapMarker[];
  onChangeVillage: (() => void) | undefined;
}) {
  const t = useT();
  const lang = useLang();
  const p = useStore(patrol);
  const owner = String(user.id);
  const mineTrack = p.owner === owner ? p.points.map((x) => [x.lon, x.lat]) : [];
  const me: MapMarker[] = p.last
    ? [{ id: 'me', kind: 'me', lon: p.last.lon, lat: p.last.lat, title: t('grid.legendMe') }]
    : [];
  const myFeature = features.find((f) => f.properties.code === myGridId);
  const detail = useAsync(myGridId ? `grid:${myGridId}` : null, (s) => api.grid(myGridId!, s));
  const [selected, setSelected] = useState<string | null>(null);
  const shown = selected ?? myGridId;
  const shownFeature = features.find((f) => f.properties.code === shown);

  return (
    <>
      <section className="card" aria-labelledby="grid-map-h">
        <h2 id="grid-map-h">
          {myFeature ? t('grid.myGrid', { name: myFeature.properties.name }) : t('grid.villageGrids')}
        </h2>
        {mapState ?? (
          <>
            <GridMap
              features={features}
              label={t('grid.mapLabel')}
              selected={shown}
              onSelect={(code) => setSelected((s) => (s === code ? null : code))}
              markers={[...eventMarkers, ...queuedMarkers, ...me]}
              track={mineTrack}
            />
            <Legend events={eventMarkers.length} queued={queuedMarkers.length} track={mineTrack.length > 1} />
            {shownFeature ? (
              <p className="selected-grid" aria-live="polite">
                {t('grids.selected', {
                  name: shownFeature.properties.name,
                  code: shownFeature.properties.code,
                })}
              </p>
            ) : null}
          </>
        )}
        {staffGridsLoaded && !myGridId ? <p className="notice small">{t('grid.noMyGrid')}</p> : null}
        {detail.state.status === 'ok' ? (
          <dl className="facts">
            <div>
              <dt>{t('grid.area')}</dt>
              <dd>{formatArea(lang, detail.state.data.grid.areaM2)}</dd>
            </div>
            <div>
              <dt>{t('grid.workers')}</dt>
              <dd>
                {detail.state.data.workers.map((w) => w.displayName).join(lang === 'en' ? ', ' : '、') || '—'}
              </dd>
            </div>
          </dl>
        ) : null}
        {onChangeVillage ? (
          <button type="button" className="link-button" onClick={onChangeVillage}>
            {t('grid.changeVillage')}
          </button>
        ) : null}
      </section>
      <PatrolCard owner={owner} />
    </>
  );
}

function PatrolCard({ owner }: { owner: string }) {
  const t = useT();
  const lang = useLang();
  const p = useStore(patrol);
  const mine = p.owner === owner;
  const active = mine && p.active;
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [active]);
  const started = mine ? p.startedAt : null;
  const duration = started ? (active ? now : (p.stoppedAt ?? now)) - started : 0;
  const problem: LocateFailure | null = p.error;
  const unsent = pending(p).points;

  return (
    <section className="card patrol" aria-labelledby="patrol-h">
      <h2 id="patrol-h">{t('patrol.title')}</h2>
      <p className={active ? 'patrol-state on' : 'patrol-state'} role="status">
        {active ? t('patrol.on') : started ? t('patrol.stopped') : t('patrol.off')}
      </p>
      {started ? (
        <dl className="facts patrol-facts">
          <div>
            <dt>{t('patrol.duration')}</dt>
            <dd className="mono">{formatDuration(duration)}</dd>
          </div>
          <div>
            <dt>{t('patrol.distance')}</dt>
            <dd>{formatDistance(lang, walked(p))}</dd>
          </div>
          <div>
            <dt>{t('patrol.points')}</dt>
            <dd>{p.points.length}</dd>
          </div>
        </dl>
      ) : null}
      {problem ? (
        <p className="notice small" role="alert">
          {t(LOCATE_MESSAGES[problem])}
        </p>
      ) : null}
      <div className="button-row">
        {active ? (
          <button type="button" className="btn btn-primary btn-big" onClick={stopPatrol}>
            {t('patrol.stop')}
          </button>
        ) : (
          <button type="button" className="btn btn-primary btn-big" onClick={() => startPatrol(owner)}>
            {t('patrol.start')}
          </button>
        )}
        {!active && started ? (
          <button type="button" className="btn btn-secondary" onClick={clearPatrol}>
            {t('patrol.clear')}
          </button>
        ) : null}
      </div>
      {started ? (
        <p className="small" role="status">
          {unsent > 0 || (!active && !p.endSent)
            ? t('patrol.syncPending', { n: unsent })
            : t('patrol.syncDone')}
        </p>
      ) : null}
      <p className="field-hint">{t('patrol.deviceOnly')}</p>
    </section>
  );
}

interface ReportDraft {
  category: PickedCategory | null;
  description: string;
  lon: number | null;
  lat: number | null;
  accuracy: number | null;
  source: 'gps' | 'map' | null;
}

const EMPTY_REPORT: ReportDraft = {
  category: null,
  description: '',
  lon: null,
  lat: null,
  accuracy: null,
  source: null,
};

function ReportForm({
  user,
  village,
  features,
  mapState,
  myGridId,
}: {
  user: StaffUser;
  village: string;
  features: GridFeature[];
  mapState: ReactNode;
  myGridId: string | null;
}) {
  const t = useT();
  const draftKey = `gongzhi.grid.reportDraft.${user.id}`;
  const [draft, setDraft] = useState<ReportDraft>(() => ({
    ...EMPTY_REPORT,
    ...loadDraft<ReportDraft>(draftKey)?.value,
  }));
  const [photos, setPhotos] = useState<Photo[]>(() => loadDraft<Photo[]>(`${draftKey}.photos`)?.value ?? []);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [locating, setLocating] = useState(false);
  const [gpsProblem, setGpsProblem] = useState<LocateFailure | null>(null);
  const [queued, setQueued] = useState<string | null>(null);
  const doneRef = useRef<HTMLDivElement>(null);
  const p = useStore(patrol);

  useEffect(() => {
    const timer = setTimeout(() => saveDraft(draftKey, draft), 300);
    return () => clearTimeout(timer);
  }, [draft, draftKey]);
  useEffect(() => {
    if (photos.length) saveDraft(`${draftKey}.photos`, photos);
    else clearDraft(`${draftKey}.photos`);
  }, [photos, draftKey]);

  const update = (c: Partial<ReportDraft>) => {
    setDraft((d) => ({ ...d, ...c }));
    setQueued(null);
  };

  const gps = async () => {
    setGpsProblem(null);
    setLocating(true);
    try {
      const fix = await locate();
      update({ lon: fix.lon, lat: fix.lat, accuracy: fix.accuracy, source: 'gps' });
      setErrors((e) => ({ ...e, place: '' }));
    } catch (err) {
      setGpsProblem(err instanceof LocateError ? err.reason : 'unavailable');
    } finally {
      setLocating(false);
    }
  };

  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const local: Record<string, string> = {};
    if (!draft.category) local.categoryId = t('appeal.categoryRequired');
    const n = charCount(draft.description.trim());
    if (n < 5) local.description = t('appeal.descriptionShort', { min: 5 });
    else if (n > 5000) local.description = t('appeal.descriptionLong', { max: 5000 });
    if (draft.lon === null || draft.lat === null) local.place = t('report.placeRequired');
    setErrors(local);
    const first = ['categoryId', 'description', 'place'].find((k) => local[k]);
    if (first) {
      const el = e.currentTarget.querySelector<HTMLElement>(`[data-field="${first}"]`);
      (el?.matches('textarea,input,button')
        ? el
        : el?.querySelector<HTMLElement>('input,textarea,button')
      )?.focus();
      return;
    }
    const payload: EventReport = {
      type: 'event',
      channel: 'grid',
      categoryId: draft.category!.code,
      description: draft.description.trim(),
      lon: draft.lon!,
      lat: draft.lat!,
      villageId: village,
      ...(photos.length ? { photos } : {}),
    };
    const label = `${draft.category!.label} · ${draft.description.trim().slice(0, 30)}`;
    outbox().add(payload, label);
    clearDraft(draftKey);
    clearDraft(`${draftKey}.photos`);
    setDraft(EMPTY_REPORT);
    setPhotos([]);
    setQueued(label);
    requestAnimationFrame(() => doneRef.current?.focus());
  };

  const pin: MapMarker[] =
    draft.lon !== null && draft.lat !== null
      ? [{ id: 'pin', kind: 'pin', lon: draft.lon, lat: draft.lat }]
      : [];
  const me: MapMarker[] =
    p.last && draft.source !== 'gps' ? [{ id: 'me', kind: 'me', lon: p.last.lon, lat: p.last.lat }] : [];

  return (
    <section className="card" aria-labelledby="report-h">
      <h2 id="report-h">{t('report.title')}</h2>
      {queued ? (
        <div ref={doneRef} tabIndex={-1} className="notice" role="status">
          <p>{t('report.queued', { label: queued })}</p>
          <Link to={href('/grid', { tab: 'tasks' })} replace>
            {t('report.seeQueue')}
          </Link>
        </div>
      ) : null}
      <form onSubmit={submit} noValidate>
        <CategoryPicker
          type="event"
          source="staff"
          value={draft.category}
          onChange={(category) => {
            update({ category });
            setErrors((x) => ({ ...x, categoryId: '' }));
          }}
          error={errors.categoryId || undefined}
        />
        <TextAreaField
          label={
            <>
              {t('report.description')}
              <span className="required-mark"> *</span>
            </>
          }
          value={draft.description}
          onValue={(description) => update({ description })}
          error={errors.description || undefined}
          rows={4}
          max={5000}
          min={5}
          data-field="description"
        />
        <PhotoPicker photos={photos} onChange={setPhotos} />
        <fieldset className={errors.place ? 'field has-error' : 'field'} data-field="place">
          <legend>
            {t('report.place')}
            <span className="required-mark"> *</span>
          </legend>
          <button
            type="button"
            className="btn btn-secondary"
            onClick={gps}
            disabled={locating}
            aria-busy={locating}
          >
            <LocateIcon />
            {locating ? t('place.locating') : t('report.useGps')}
          </button>
          {gpsProblem ? (
            <p className="notice small" role="status">
              {t(LOCATE_MESSAGES[gpsProblem])} {t('report.tapInstead')}
            </p>
          ) : null}
          <p className="field-hint">{t('report.tapHint')}</p>
          {mapState ?? (
            <GridMap
              features={features}
              label={t('grid.mapLabel')}
              selected={myGridId}
              markers={[...me, ...pin]}
              onPick={(lon, lat) => {
                update({ lon, lat, accuracy: null, source: 'map' });
                setErrors((x) => ({ ...x, place: '' }));
              }}
            />
          )}
          <p className="place-status" aria-live="polite">
            {draft.lon !== null
              ? draft.source === 'gps'
                ? t('place.gotGps', { m: draft.accuracy ?? '?' })
                : t('place.gotMap')
              : ''}
          </p>
          {errors.place ? (
            <p className="field-error">
              <span aria-hidden="true">! </span>
              {errors.place}
            </p>
          ) : null}
        </fieldset>
        <button type="submit" className="btn btn-primary btn-block btn-submit">
          {t('report.submit')}
        </button>
        <p className="field-hint">{t('report.offlineHint')}</p>
      </form>
    </section>
  );
}

function TasksTab({
  user,
  outboxItems,
  reported,
  reportedState,
  onChanged,
}: {
  user: StaffUser;
  outboxItems: QueueItem<EventReport>[];
  reported: CaseListItem[] | undefined;
  reportedState: WorkProps['reportedState'];
  onChanged: () => void;
}) {
  const t = useT();
  const [solved, setSolved] = useState<string | null>(null);
  return (
    <>
      <OutboxList items={outboxItems} />
      <section className="card" aria-labelledby="reported-h">
        <h2 id="reported-h">{t('tasks.reported')}</h2>
        <p className={solved ? 'notice small' : 'visually-hidden'} role="status">
          {solved ? t('solve.done', { code: solved }) : ''}
        </p>
        {reportedState.state.status === 'loading' ? (
          <Loading />
        ) : reportedState.state.status === 'error' ? (
          <ErrorState error={reportedState.state.error} onRetry={reportedState.reload} />
        ) : !reported || reported.length === 0 ? (
          <EmptyState>{t('tasks.noneReported')}</EmptyState>
        ) : (
          <ul className="list">
            {reported.map((c) => (
              <CaseRow
                key={c.id}
                c={c}
                canSolve={c.state === 'reported'}
                onSolved={() => {
                  setSolved(c.code);
                  onChanged();
                }}
              />
            ))}
          </ul>
        )}
      </section>
      <ServerQueue queue="to_sign" title={t('tasks.toSign')} user={user} />
      <ServerQueue queue="in_progress" title={t('tasks.inProgress')} user={user} />
    </>
  );
}

function queueStatus(
  t: ReturnType<typeof useT>,
  lang: ReturnType<typeof useLang>,
  i: QueueItem<EventReport>,
) {
  switch (i.status) {
    case 'queued':
      return i.error
        ? t('queue.retrying', { reason: i.error.message, at: formatDateTime(lang, i.nextAttemptAt) })
        : t('queue.queued');
    case 'sending':
      return t('queue.sending');
    case 'sent':
      return t('queue.sent', { code: i.result?.code ?? '' });
    case 'failed':
      return t('queue.failed', { reason: i.error?.message ?? '' });
  }
}

function OutboxList({ items }: { items: QueueItem<EventReport>[] }) {
  const t = useT();
  const lang = useLang();
  const q = outbox();
  return (
    <section className="card" aria-labelledby="outbox-h">
      <h2 id="outbox-h">{t('queue.title')}</h2>
      <p className="field-hint">{t('queue.hint')}</p>
      {items.length === 0 ? (
        <EmptyState>{t('queue.empty')}</EmptyState>
      ) : (
        <ul className="list">
          {items.map((i) => (
            <li key={i.key} className={`queue-item queue-${i.status}`}>
              <div className="list-item list-item-static">
                <span className="list-main">
                  <span className="list-title">{i.label}</span>
                  <span className="list-meta">
                    <span className={`tag queue-tag-${i.status}`}>{t(`queue.status.${i.status}`)}</span>
                    {formatDateTime(lang, i.createdAt)}
                  </span>
                  <span className="queue-detail">{queueStatus(t, lang, i)}</span>
                  {i.error?.fields
                    ? Object.entries(i.error.fields).map(([k, v]) => (
                        <span key={k} className="field-error small">
                          {k}: {v}
                        </span>
                      ))
                    : null}
                </span>
              </div>
              {i.status === 'failed' || i.status === 'queued' ? (
                <div className="button-row compact">
                  <button type="button" className="btn btn-secondary" onClick={() => void q.retry(i.key)}>
                    {i.status === 'failed' ? t('queue.retry') : t('queue.sendNow')}
                  </button>
                  {i.status === 'failed' ? (
                    <button
                      type="button"
                      className="btn btn-secondary"
                      onClick={() => {
                        if (window.confirm(t('queue.removeConfirm'))) q.remove(i.key);
                      }}
                    >
                      {t('queue.remove')}
                    </button>
                  ) : null}
                </div>
              ) : null}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function CaseRow({ c, canSolve, onSolved }: { c: CaseListItem; canSolve: boolean; onSolved: () => void }) {
  const t = useT();
  const lang = useLang();
  const id = useId();
  const [open, setOpen] = useState(false);
  const [result, setResult] = useState('');
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const solve = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (sending) return;
    if (!result.trim()) {
      setError(t('solve.resultRequired'));
      return;
    }
    setSending(true);
    setError(null);
    try {
      await api.caseAction(c.id, 'solve_on_spot', { result: result.trim() }, c.version);
      setOpen(false);
      onSolved();
    } catch (err) {
      const apiErr = err instanceof ApiError ? err : new ApiError(0, 'CLIENT_ERROR', String(err));
      if (apiErr.status === 401) signedOut();
      setError(apiErr.fieldErrors()['input.result'] ?? apiErr.message);
    } finally {
      setSending(false);
    }
  };

  return (
    <li>
      <div className="list-item list-item-static">
        <span className="list-main">
          <span className="list-title">{c.title}</span>
          <span className="list-meta">
            <span className={CLOSED.has(c.state) ? 'tag state-done' : 'tag state-open'}>
              {labelFor(lang, 'state', c.state, c.stateLabel)}
            </span>
            <span className="mono">{c.code}</span> · {formatDateTime(lang, c.receivedAt)}
            {c.categoryName ? ` · ${c.categoryName}` : ''}
          </span>
        </span>
      </div>
      {canSolve ? (
        open ? (
          <form className="solve-form" onSubmit={solve} noValidate>
            <TextAreaField
              label={t('solve.result')}
              value={result}
              onValue={setResult}
              error={error ?? undefined}
              rows={3}
              max={1000}
              maxLength={1100}
            />
            <div className="button-row compact">
              <button type="submit" className="btn btn-primary" disabled={sending} aria-busy={sending}>
                {sending ? t('solve.sending') : t('solve.submit')}
              </button>
              <button type="button" className="btn btn-secondary" onClick={() => setOpen(false)}>
                {t('common.cancel')}
              </button>
            </div>
          </form>
        ) : (
          <div className="button-row compact">
            <button
              type="button"
              className="btn btn-secondary"
              aria-describedby={`${id}-hint`}
              onClick={() => setOpen(true)}
            >
              {t('solve.open')}
            </button>
            <span id={`${id}-hint`} className="visually-hidden">
              {c.code}
            </span>
          </div>
        )
      ) : null}
    </li>
  );
}

function ServerQueue({ queue, title, user }: { queue: CaseQueue; title: string; user: StaffUser }) {
  const t = useT();
  const lang = useLang();
  const { state, reload } = useAsync(`cases:${user.id}:${queue}`, (s) =>
    api.cases({ queue, type: 'event', limit: 50 }, s),
  );
  const items = useMemo(() => (state.status === 'ok' ? state.data.items : []), [state]);
  return (
    <section className="card" aria-label={title}>
      <h2>{title}</h2>
      {state.status === 'loading' ? (
        <Loading />
      ) : state.status === 'error' ? (
        <ErrorState error={state.error} onRetry={reload} />
      ) : items.length === 0 ? (
        <EmptyState>{t('tasks.none')}</EmptyState>
      ) : (
        <ul className="list">
          {items.map((c) => (
            <li key={c.id} className="list-item list-item-static">
              <span className="list-main">
                <span className="list-title">{c.title}</span>
                <span className="list-meta">
                  <span className="tag state-open">{labelFor(lang, 'state', c.state, c.stateLabel)}</span>
                  <span className="mono">{c.code}</span>
                  {c.nextDueAt ? ` · ${t('tasks.due', { at: formatDateTime(lang, c.nextDueAt) })}` : ''}
                </span>
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
