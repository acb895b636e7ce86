import { useId, useState } from 'react';
import { api, type GridCollection, type Regions } from '../api.ts';
import { LocateError, type LocateFailure, locate, locateUnavailable } from '../geolocate.ts';
import { type MessageKey, useT } from '../i18n.ts';
import { useAsync } from '../useAsync.ts';
import { GridMap, type MapMarker } from './GridMap.tsx';
import { ErrorState, Loading } from './Status.tsx';

/** Where the problem is: a village, a point (from the phone or a tap on the map), an address. */
export interface Place {
  townshipCode: string;
  villageCode: string;
  lon: number | null;
  lat: number | null;
  accuracy: number | null;
  source: 'gps' | 'map' | null;
  address: string;
}

export const EMPTY_PLACE: Place = {
  townshipCode: '',
  villageCode: '',
  lon: null,
  lat: null,
  accuracy: null,
  source: null,
  address: '',
};

const regionsCache = new Map<string, Regions>();
const gridCache = new Map<string, GridCollection>();

export const LOCATE_MESSAGES: Record<LocateFailure, MessageKey> = {
  unsupported: 'place.gpsUnsupported',
  insecure: 'place.gpsInsecure',
  denied: 'place.gpsDenied',
  unavailable: 'place.gpsUnavailable',
  timeout: 'place.gpsTimeout',
};

interface Props {
  value: Place;
  onChange: (place: Place) => void;
  /** The phone's position makes sense on a phone, not on a kiosk bolted to a wall. */
  allowGps: boolean;
  error?: string | undefined;
  addressError?: string | undefined;
}

/** A crosshair (not a font glyph: cheap phones' fonts lack ⌖). */
export function LocateIcon() {
  return (
    <svg width="18" height="18" viewBox="0 0 18 18" aria-hidden="true" className="icon">
      <circle cx="9" cy="9" r="5.5" fill="none" stroke="currentColor" strokeWidth="2" />
      <circle cx="9" cy="9" r="1.8" fill="currentColor" />
      <path d="M9 0v3.5M9 14.5V18M0 9h3.5M14.5 9H18" stroke="currentColor" strokeWidth="2" />
    </svg>
  );
}

/** "Use my location", or township → village and a tap on the village's grid map; plus an address. */
export function PlacePicker({ value, onChange, allowGps, error, addressError }: Props) {
  const t = useT();
  const id = useId();
  const [locating, setLocating] = useState(false);
  const [gpsProblem, setGpsProblem] = useState<LocateFailure | null>(null);
  const { state, reload } = useAsync('regions', (s) => api.regions(s), regionsCache);
  const regions = state.status === 'ok' ? state.data : null;
  const township = regions?.townships.find((tw) => tw.code === value.townshipCode);
  const village = township?.villages.find((v) => v.code === value.villageCode);

  const locateMe = async () => {
    setGpsProblem(null);
    setLocating(true);
    try {
      const fix = await locate();
      onChange({ ...value, lon: fix.lon, lat: fix.lat, accuracy: fix.accuracy, source: 'gps' });
    } catch (err) {
      setGpsProblem(err instanceof LocateError ? err.reason : 'unavailable');
    } finally {
      setLocating(false);
    }
  };

  const hasPoint = value.lon !== null && value.lat !== null;
  const gpsBlocked = allowGps ? locateUnavailable() : null;
  const problem = gpsProblem ?? null;

  return (
    <fieldset className={error ? 'field place has-error' : 'field place'} data-field="place">
      <legend>{t('place.legend')}</legend>
      <p className="field-hint">{t('place.hint')}</p>

      {allowGps ? (
        <div className="place-gps">
          <button
            type="button"
            className="btn btn-secondary"
            onClick={locateMe}
            disabled={locating || gpsBlocked !== null}
            aria-busy={locating}
          >
            <LocateIcon />
            {locating ? t('place.locating') : t('place.useMyLocation')}
          </button>
          {gpsBlocked || problem ? (
            <p className="notice small" role="status">
              {t(LOCATE_MESSAGES[problem ?? gpsBlocked!])} {t('place.gpsFallback')}
            </p>
          ) : null}
        </div>
      ) : null}

      {state.status === 'loading' ? (
        <Loading label={t('regions.loading')} />
      ) : state.status === 'error' ? (
        <ErrorState error={state.error} onRetry={reload} title={t('regions.loadFailed')} />
      ) : regions ? (
        <div className="place-selects">
          <div className="field">
            <label htmlFor={`${id}-tw`}>{t('place.township')}</label>
            <select
              id={`${id}-tw`}
              value={value.townshipCode}
              onChange={(e) =>
                onChange({
                  ...value,
                  townshipCode: e.currentTarget.value,
                  villageCode: '',
                  ...(value.source === 'map' ? { lon: null, lat: null, accuracy: null, source: null } : {}),
                })
              }
            >
              <option value="">{t('place.choose')}</option>
              {regions.townships.map((tw) => (
                <option key={tw.code} value={tw.code}>
                  {tw.name}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor={`${id}-v`}>{t('place.village')}</label>
            <select
              id={`${id}-v`}
              value={value.villageCode}
              disabled={!township}
              onChange={(e) =>
                onChange({
                  ...value,
                  villageCode: e.currentTarget.value,
                  ...(value.source === 'map' ? { lon: null, lat: null, accuracy: null, source: null } : {}),
                })
              }
            >
              <option value="">{township ? t('place.choose') : t('place.chooseTownshipFirst')}</option>
              {township?.villages.map((v) => (
                <option key={v.code} value={v.code}>
                  {v.name}
                </option>
              ))}
            </select>
          </div>
        </div>
      ) : null}

      {village ? (
        <PickMap
          villageCode={village.code}
          villageName={village.name}
          value={value}
          onPick={(lon, lat) => onChange({ ...value, lon, lat, accuracy: null, source: 'map' })}
        />
      ) : null}

      <p className="place-status" aria-live="polite">
        {hasPoint
          ? value.source === 'gps'
            ? t('place.gotGps', { m: value.accuracy ?? '?' })
            : t('place.gotMap')
          : village
            ? t('place.villageOnly', { name: village.name })
            : ''}
        {hasPoint ? (
          <>
            {' '}
            <button
              type="button"
              className="link-button"
              onClick={() => onChange({ ...value, lon: null, lat: null, accuracy: null, source: null })}
            >
              {t('place.clearPoint')}
            </button>
          </>
        ) : null}
      </p>

      <div className={addressError ? 'field has-error' : 'field'} data-field="address">
        <label htmlFor={`${id}-addr`}>{t('place.address')}</label>
        <input
          id={`${id}-addr`}
          value={value.address}
          onChange={(e) => onChange({ ...value, address: e.currentTarget.value })}
          maxLength={200}
          placeholder={t('place.addressPlaceholder')}
          autoComplete="off"
          enterKeyHint="next"
          aria-invalid={addressError ? true : undefined}
          aria-describedby={addressError ? `${id}-addr-error` : undefined}
        />
        {addressError ? (
          <p id={`${id}-addr-error`} className="field-error">
            <span aria-hidden="true">! </span>
            {addressError}
          </p>
        ) : null}
      </div>
      {error ? (
        <p className="field-error" role="alert">
          <span aria-hidden="true">! </span>
          {error}
        </p>
      ) : null}
    </fieldset>
  );
}

function PickMap({
  villageCode,
  villageName,
  value,
  onPick,
}: {
  villageCode: string;
  villageName: string;
  value: Place;
  onPick: (lon: number, lat: number) => void;
}) {
  const t = useT();
  const { state, reload } = useAsync(
    `grids:${villageCode}`,
    (s) => api.publicGrids(villageCode, s),
    gridCache,
  );
  if (state.status === 'loading') return <Loading label={t('grids.loading')} />;
  if (state.status === 'error') return <ErrorState error={state.error} onRetry={reload} />;
  const features = (state.data.features ?? []).filter((f) => f.geometry);
  if (features.length === 0) return <p className="muted small">{t('grids.empty', { name: villageName })}</p>;
  const markers: MapMarker[] =
    value.lon !== null && value.lat !== null
      ? [{ id: 'pin', kind: 'pin', lon: value.lon, lat: value.lat, title: t('place.pinTitle') }]
      : [];
  return (
    <div className="pick-map">
      <p className="field-hint">{t('place.tapHint')}</p>
      <GridMap
        features={features}
        label={t('grids.mapLabel', { name: villageName })}
        selected={null}
        markers={markers}
        onPick={onPick}
      />
    </div>
  );
}
