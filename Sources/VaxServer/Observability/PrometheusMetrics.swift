import Metrics
import Prometheus

/// The process's metrics registry, exposed at `/metrics`. swift-metrics can be bootstrapped once per
/// process, so every application built in the process (tests build many) shares it.
final class PrometheusMetrics: Sendable {
    static let shared = PrometheusMetrics()

    let registry: PrometheusCollectorRegistry

    private init() {
        registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    }

    /// The text exposition format.
    func exposition() -> String {
        registry.emitToString()
    }
}
