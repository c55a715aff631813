/** Numbers and times as the staff pages show them ('–' when there is no value). */

/** `value` (a fraction) as a percentage with `digits` decimals. */
export function percent(value, digits = 0) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '–';
  const scale = 10 ** digits;
  return `${Math.round(value * 100 * scale) / scale}%`;
}

/** A number rounded to `digits` decimals. */
export function decimal(value, digits = 2) {
  if (value === null || value === undefined) return '–';
  return `${Math.round(value * 10 ** digits) / 10 ** digits}`;
}

/** A duration in seconds, in the unit that reads best (s, min, h with one decimal). */
export function duration(seconds) {
  if (seconds === null || seconds === undefined) return '–';
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 360) / 10} h`;
}

/** How long ago `createdAt` (ISO) was: "42 s", "5 min", "3 h 20 min", "4 d". */
export function waited(createdAt, now = Date.now()) {
  const seconds = Math.max(0, (now - Date.parse(createdAt)) / 1000);
  if (seconds < 60) return `${Math.floor(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d`;
}

/** The local time of day of an ISO timestamp ('' when it is not one). */
export function clock(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** The local date and time of an ISO timestamp ('' when there is none). */
export function when(iso) {
  const date = new Date(iso);
  if (!iso || Number.isNaN(date.getTime())) return '';
  return date.toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });
}
