// Numbers as people read them.

const whole = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });
const tenths = new Intl.NumberFormat('en', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const hundredths = new Intl.NumberFormat('en', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** Milliseconds with the precision that matters at their size: 0.32, 12.4, 1,234 (no unit). */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '';
  const abs = Math.abs(ms);
  if (abs < 1) return hundredths.format(ms);
  if (abs < 100) return tenths.format(ms);
  return whole.format(ms);
}
