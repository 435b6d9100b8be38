/**
 * Overview: traffic per front and per unit over time, refusals by reason, latency percentiles,
 * the queue and its dead letters, every node's circuit breaker, what expires within 30 days and
 * whether the central database answers. One API call (/overview), refreshed every 15 seconds
 * while the tab is visible.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { get } from '../api/client';
import type { Overview, Series } from '../api/types';
import { duration, num, vnDate, vnDateTime, vnTime } from '../lib/format';
import { TimeChart } from '../ui/chart';
import { useApi } from '../ui/hooks';
import { Badge, Bars, Section } from '../ui/parts';
import { Head, LoadState } from '../ui/controls';

const REFRESH_MS = 15_000;
const RANGES = [
  [1, '1 giờ'],
  [6, '6 giờ'],
  [24, '24 giờ'],
  [168, '7 ngày'],
] as const;

const STATE_NAMES: Record<string, string> = {
  pending: 'Mới nhận',
  queued: 'Chờ gửi',
  delivering: 'Đang gửi',
  delivered: 'Đã gửi',
  stale: 'Phiên bản cũ',
  rejected: 'Bị từ chối',
  dead: 'Gửi lỗi (thư chết)',
  superseded: 'Bị thay thế',
  discarded: 'Đã bỏ',
  invalid: 'Không hợp lệ',
};

function seriesList(s: Series) {
  return Object.entries(s.series)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, values]) => ({ name, values }));
}

export function OverviewPage() {
  const [hours, setHours] = useState(24);
  const [tick, setTick] = useState(0);
  const ov = useApi(() => get<Overview>('/overview', { hours }), [hours, tick]);
  useEffect(() => {
    const t = setInterval(() => {
      if (document.visibilityState === 'visible') setTick((n) => n + 1);
    }, REFRESH_MS);
    return () => clearInterval(t);
  }, []);
  const d = ov.data;
  const fronts = useMemo(() => (d ? seriesList(d.traffic.perFront) : []), [d]);
  const units = useMemo(() => (d ? seriesList(d.traffic.perUnit) : []), [d]);
  const latency = useMemo(
    () =>
      d
        ? [
            { name: 'p50', values: d.latency.p50 },
            { name: 'p95', values: d.latency.p95 },
            { name: 'p99', values: d.latency.p99 },
          ]
        : [],
    [d],
  );
  return (
    <div class="overview">
      <div class="toolbar">
        <label>
          Khoảng thời gian:{' '}
          <select value={hours} onChange={(e) => setHours(Number((e.target as HTMLSelectElement).value))}>
            {RANGES.map(([h, label]) => (
              <option key={h} value={h}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={() => setTick((n) => n + 1)} disabled={ov.loading}>
          Làm mới
        </button>
        <span class="muted" aria-live="polite">
          {d ? `Cập nhật lúc ${vnTime(d.generatedAt)} ${vnDate(d.generatedAt)}; tự làm mới mỗi 15 giây` : ''}
        </span>
      </div>
      <LoadState loaded={ov} />
      {d && (
        <>
          <div class="tiles">
            <div class={`tile ${d.central.reachable ? 'good' : 'bad'}`} data-testid="central">
              <span class="tile-label">CSDL quốc gia</span>
              <span class="tile-value">{d.central.reachable ? 'Kết nối được' : 'Không kết nối được'}</span>
              <span class="tile-note">
                {d.central.reachable ? `bắt tay TLS ${d.central.latencyMs} ms` : <>{d.central.message} <code class="code">{d.central.code}</code> {d.central.detail}</>}
              </span>
            </div>
            <div class="tile">
              <span class="tile-label">Trao đổi trong kỳ</span>
              <span class="tile-value">{num(d.traffic.total)}</span>
              <span class="tile-note">từ {vnDateTime(d.from)}</span>
            </div>
            <div class={`tile ${d.queue.waiting > 0 ? 'warn' : ''}`} data-testid="waiting">
              <span class="tile-label">Đang chờ gửi</span>
              <span class="tile-value">{num(d.queue.waiting)}</span>
              <span class="tile-note">{d.queue.oldestWaiting ? `lâu nhất: ${duration(d.queue.oldestWaiting.ageSeconds)} (từ ${vnDateTime(d.queue.oldestWaiting.createdAt)})` : 'không có hồ sơ nào chờ'}</span>
            </div>
            <div class={`tile ${d.deadLetters.count > 0 ? 'bad' : 'good'}`} data-testid="dead">
              <span class="tile-label">Thư chết (gửi lỗi)</span>
              <span class="tile-value">{num(d.deadLetters.count)}</span>
              <span class="tile-note">tốc độ gửi: {num(d.queue.ratePerMinute.last5)} hồ sơ/phút (5 phút)</span>
            </div>
            <div class={`tile ${d.latency.overall.p95 !== null && d.latency.overall.p95 > 3000 ? 'warn' : ''}`}>
              <span class="tile-label">Độ trễ p50 / p95 / p99</span>
              <span class="tile-value">
                {num(d.latency.overall.p50)} / {num(d.latency.overall.p95)} / {num(d.latency.overall.p99)} ms
              </span>
              <span class="tile-note">{num(d.latency.overall.samples)} mẫu</span>
            </div>
          </div>

          <div class="grid2">
            <Section title="Lưu lượng theo cổng vào" id="h-fronts">
              <TimeChart title={`Số trao đổi mỗi ${d.bucketMinutes} phút`} x={d.traffic.perFront.buckets} series={fronts} unit="lượt" />
            </Section>
            <Section title="Lưu lượng theo đơn vị" id="h-units">
              <TimeChart title={`Số trao đổi mỗi ${d.bucketMinutes} phút`} x={d.traffic.perUnit.buckets} series={units} unit="lượt" />
            </Section>
            <Section title="Độ trễ (phân vị)" id="h-latency">
              <TimeChart title="Độ trễ trả lời (ms)" x={d.latency.buckets} series={d.latency.overall.samples ? latency : []} unit="ms" />
            </Section>
            <Section title="Từ chối theo lý do" id="h-refusals">
              <Bars label="Số lần từ chối theo mã lỗi" items={d.refusals.map((r) => ({ name: r.code, value: r.count }))} />
            </Section>
            <Section title="Hàng đợi theo trạng thái" id="h-queue">
              <Bars label="Số hồ sơ theo trạng thái" items={Object.entries(d.queue.depth).map(([state, n]) => ({ name: state, note: STATE_NAMES[state], value: n }))} />
              <p class="muted">
                Redis:{' '}
                {d.queue.redis.reachable ? (
                  'kết nối được'
                ) : (
                  <>
                    {d.queue.redis.message} <code class="code">{d.queue.redis.code}</code>
                  </>
                )}
              </p>
            </Section>
            <Section title="Cầu dao ngắt mạch theo nút" id="h-breakers">
              {d.queue.breakers.length === 0 ? (
                <p class="muted">Chưa nút nào báo trạng thái.</p>
              ) : (
                <table>
                  <Head columns={['Nút', 'Trạng thái', 'Lỗi liên tiếp', 'Cập nhật']} />
                  <tbody>
                    {d.queue.breakers.map((b) => (
                      <tr key={b.node}>
                        <td>{b.node}</td>
                        <td>
                          <Badge value={b.state} /> {b.stale && <span class="badge warn">không còn tín hiệu</span>}
                        </td>
                        <td>{b.consecutiveFailures}</td>
                        <td>{vnDateTime(b.updatedAt)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </Section>
          </div>

          <Section title={`Sắp hết hạn trong ${d.expiring.withinDays} ngày`} id="h-expiring">
            {d.expiring.certificates.length + d.expiring.keys.length === 0 ? (
              <p class="muted">Không có chứng thư số hay mã kết nối nào sắp hết hạn.</p>
            ) : (
              <table>
                <Head columns={['Loại', 'Định danh', 'Đơn vị', 'Hết hạn', 'Còn lại']} />
                <tbody>
                  {d.expiring.certificates.map((c) => (
                    <tr key={c.serial}>
                      <td>Chứng thư ({c.kind})</td>
                      <td>
                        {c.cn} <code class="code">{c.serial}</code>
                      </td>
                      <td>{c.unit ?? '—'}</td>
                      <td>{vnDate(c.notAfter)}</td>
                      <td>{c.daysLeft} ngày</td>
                    </tr>
                  ))}
                  {d.expiring.keys.map((k) => (
                    <tr key={k.keyId}>
                      <td>Mã kết nối</td>
                      <td>
                        {k.softwareId} <code class="code">{k.keyId}</code>
                      </td>
                      <td>{k.unitCode}</td>
                      <td>{vnDate(k.expiresAt)}</td>
                      <td>{k.daysLeft} ngày</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Section>

          {d.deadLetters.latest.length > 0 && (
            <Section title="Thư chết gần nhất" id="h-dead">
              <table>
                <Head columns={['Mã theo dõi', 'Đơn vị', 'Lý do', 'Từ lúc']} />
                <tbody>
                  {d.deadLetters.latest.map((x) => (
                    <tr key={x.trackingId}>
                      <td>
                        <code>{x.trackingId}</code>
                      </td>
                      <td>{x.unitCode}</td>
                      <td>{x.reason}</td>
                      <td>{vnDateTime(x.deadSince)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </Section>
          )}
        </>
      )}
    </div>
  );
}
