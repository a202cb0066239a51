// A small inline SVG chart (no chart library): this period's values as bars, the period
// before as a dashed line, with the axis maximum and the first and last bucket labels. The
// figure names itself and its totals for screen readers; each bar's title gives its value.

export interface ChartProps {
  title: string;
  current: readonly number[];
  previous: readonly number[];
  /** A label per bucket (the bucket's start, formatted). */
  labels: readonly string[];
  format(value: number): string;
  currentLabel: string;
  previousLabel: string;
  /** The word before the axis maximum ("max"). */
  maxLabel: string;
}

const W = 300;
const H = 120;
const PAD_TOP = 8;

export function Chart({ title, current, previous, labels, format, currentLabel, previousLabel, maxLabel }: ChartProps) {
  const max = Math.max(1e-12, ...current, ...previous);
  const n = Math.max(1, current.length);
  const slot = W / n;
  const y = (v: number) => H - (v / max) * (H - PAD_TOP);
  const line = previous.map((v, i) => `${(i * slot + slot / 2).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
  const total = current.reduce((a, b) => a + b, 0);
  const before = previous.reduce((a, b) => a + b, 0);
  return (
    <figure className="chart">
      <figcaption>
        <span className="chart-title">{title}</span>
        <span className="chart-legend">
          <span className="legend-current">{currentLabel}</span> <span className="legend-previous">{previousLabel}</span>
        </span>
      </figcaption>
      <svg
        viewBox={`0 0 ${W} ${H}`}
        preserveAspectRatio="none"
        role="img"
        aria-label={`${title}: ${currentLabel} ${format(total)}, ${previousLabel} ${format(before)}`}
      >
        <line x1={0} y1={H - 0.5} x2={W} y2={H - 0.5} className="chart-axis" />
        {current.map((v, i) => (
          <rect key={i} className="chart-bar" x={i * slot + slot * 0.15} width={slot * 0.7} y={y(v)} height={H - y(v)}>
            <title>{`${labels[i] ?? ""}: ${format(v)}`}</title>
          </rect>
        ))}
        {previous.length > 1 && <polyline className="chart-previous" points={line} fill="none" />}
      </svg>
      <div className="chart-scale muted">
        <span>{labels[0]}</span>
        <span>
          {maxLabel} {format(max < 1e-9 ? 0 : max)}</span>
        <span>{labels[labels.length - 1]}</span>
      </div>
    </figure>
  );
}
