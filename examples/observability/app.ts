/**
 * Bluum webhook metrics for Prometheus: the plugin's OpenTelemetry metrics (deliveries by event
 * and outcome, handler durations) served at `GET /metrics` in Prometheus' text format.
 *
 * In your app: `npm install @opentelemetry/api @opentelemetry/sdk-metrics @opentelemetry/exporter-prometheus`.
 * Run it from a clone: see README.md beside this file.
 */
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus'
import { MeterProvider } from '@opentelemetry/sdk-metrics'
import Fastify from 'fastify'
import bluumWebhooks from 'fastify-bluum-webhooks'

export async function buildApp(secret = process.env.BLUUM_WEBHOOK_SECRET) {
  // The exporter is a pull reader: each Prometheus scrape collects. `preventServerStart` serves
  // it from this app's /metrics route instead of a second server on port 9464.
  const exporter = new PrometheusExporter({ preventServerStart: true })
  const meterProvider = new MeterProvider({ readers: [exporter] })

  const app = Fastify({ logger: true })
  // Passing the provider keeps this app's metrics apart from any global SDK; `true` would use
  // the global one (registered before the plugin).
  await app.register(bluumWebhooks, { secret, telemetry: { openTelemetry: { meterProvider } } })
  app.addHook('onClose', () => meterProvider.shutdown())

  // Expose it where only Prometheus can reach it (an internal port or network) in production.
  app.get('/metrics', (request, reply) => {
    reply.hijack() // the exporter writes the raw response itself
    exporter.getMetricsRequestHandler(request.raw, reply.raw)
  })

  app.bluum.on(
    'order.filled',
    async (event, { log }) => {
      log.info({ symbol: event.data.symbol }, 'order filled')
    },
    { id: 'log-fill' },
  ) // the id labels its duration series: bluum_handler_name="log-fill"
  app.bluum.on(
    'transfer.deposit.failed',
    async (event) => {
      // A handler that fails: the delivery answers 500, Bluum retries it, and the failure shows in
      // messaging_process_duration{error_type="..."} and the deliveries counter.
      throw new Error(`deposit ${event.data.id} failed and the ledger is not ready for it`)
    },
    { id: 'reconcile-deposit' },
  )
  return app
}
