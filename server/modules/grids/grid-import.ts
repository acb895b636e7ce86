/**
 * Parser and validator for grid GeoJSON imports (real grid boundaries replacing the synthetic demo
 * ones). Pure: the caller reads the file and writes the rows. Every bad feature is reported; when
 * there is any error no rows are returned, so an import is all or nothing.
 *
 * Input: a GeoJSON FeatureCollection in WGS84 lon/lat (RFC 7946). Each feature has a Polygon or
 * MultiPolygon geometry and properties `code` (15-digit grid code: village code + 3-digit serial),
 * `name`, and optionally `village_code` (must equal the first 12 digits of `code`).
 */
import { type MultiPolygon, type Polygon, validateGeometry } from './geometry.ts';

/** One grid to insert. */
export interface GridImportRow {
  id: string;
  villageId: string;
  name: string;
  geometry: Polygon | MultiPolygon;
}

/**
 * One problem in a GeoJSON import. `line` is the 1-based FEATURE NUMBER (its index in `features`
 * plus one), not a text line — 0 when the whole file is rejected (invalid JSON, not a
 * FeatureCollection, no features). The reason text names the feature as `要素 #n`.
 */
export interface GridImportError {
  line: number;
  reason: string;
}

/** Result of {@link parseGridGeoJson}: the rows, or every error found (then `rows` is empty). */
export interface GridImportResult {
  rows: GridImportRow[];
  errors: GridImportError[];
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it rejects
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** A code given as a string, or as a JSON number (as GIS tools write integer fields). */
function codeText(v: unknown): string | null {
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return String(v);
  return null;
}

/** Parses and validates a grid FeatureCollection against the village-level units that exist. */
export function parseGridGeoJson(text: string, known: { villageIds: Set<string> }): GridImportResult {
  let doc: unknown;
  try {
    doc = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    return { rows: [], errors: [{ line: 0, reason: `文件不是有效的 JSON：${(e as Error).message}` }] };
  }
  const fc = doc as { type?: unknown; features?: unknown } | null;
  if (
    typeof fc !== 'object' ||
    fc === null ||
    fc.type !== 'FeatureCollection' ||
    !Array.isArray(fc.features)
  ) {
    return {
      rows: [],
      errors: [{ line: 0, reason: '文件必须是 GeoJSON FeatureCollection（含 features 数组）' }],
    };
  }
  if (fc.features.length === 0) {
    return { rows: [], errors: [{ line: 0, reason: 'FeatureCollection 中没有任何要素' }] };
  }

  const errors: GridImportError[] = [];
  const rows: GridImportRow[] = [];
  const firstSeen = new Map<string, number>();

  fc.features.forEach((feature: unknown, i: number) => {
    const n = i + 1;
    const before = errors.length;
    const at = (reason: string) => errors.push({ line: n, reason: `要素 #${n}：${reason}` });

    const f = feature as { type?: unknown; properties?: unknown; geometry?: unknown } | null;
    if (typeof f !== 'object' || f === null || Array.isArray(f) || f.type !== 'Feature') {
      at('不是 GeoJSON Feature');
      return;
    }
    const props = (typeof f.properties === 'object' && f.properties !== null ? f.properties : {}) as Record<
      string,
      unknown
    >;

    const code = codeText(props.code);
    let villageId: string | null = null;
    if (props.code === undefined || props.code === null || code === '') {
      at('缺少网格编码 properties.code');
    } else if (code === null || !/^[0-9]{15}$/.test(code)) {
      at(`网格编码 ${String(props.code)} 必须是 15 位数字`);
    } else {
      const first = firstSeen.get(code);
      if (first !== undefined) at(`网格编码 ${code} 与要素 #${first} 重复`);
      else firstSeen.set(code, n);
      villageId = code.slice(0, 12);
      const given = props.village_code;
      const givenText = codeText(given);
      if (given !== undefined && given !== null && givenText !== '' && givenText !== villageId) {
        at(`村（社区）编码 village_code ${String(given)} 与网格编码前 12 位 ${villageId} 不一致`);
      } else if (!known.villageIds.has(villageId)) {
        at(`所属村（社区）${villageId} 不存在`);
      }
    }

    const name = typeof props.name === 'string' ? props.name.trim() : '';
    if (!name) at('缺少网格名称 properties.name');
    else if ([...name].length > 100) at('网格名称不能超过 100 个字');
    else if (CONTROL.test(name)) at('网格名称含有控制字符');

    let geometry: Polygon | MultiPolygon | null = null;
    if (f.geometry === undefined || f.geometry === null) {
      at('缺少几何 geometry');
    } else {
      const v = validateGeometry(f.geometry);
      if (v.ok) geometry = v.geometry;
      else at(v.reason);
    }

    if (errors.length > before || !code || !villageId || !geometry) return;
    // Keep only type and coordinates: foreign members (bbox, crs, …) are not stored.
    const clean = { type: geometry.type, coordinates: geometry.coordinates } as Polygon | MultiPolygon;
    rows.push({ id: code, villageId, name, geometry: clean });
  });

  return errors.length ? { rows: [], errors } : { rows, errors };
}
