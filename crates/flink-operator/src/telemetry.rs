//! Logging and tracing set-up: text or JSON log lines filtered by `RUST_LOG` (default
//! `info`), and an OpenTelemetry OTLP/HTTP trace exporter that is off unless an endpoint is
//! given (does IO: installs the global subscriber; the exporter sends over HTTP).

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::config::LogFormat;
use crate::error::{Error, Result};

/// Keeps the trace exporter alive; [`Telemetry::shutdown`] flushes it.
#[derive(Default)]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Flushes and stops the trace exporter, if any.
    pub fn shutdown(self) {
        if let Some(p) = self.provider {
            let _ = p.shutdown();
        }
    }
}

/// The default filter: our crates at `info`, the libraries' chatter at `warn`.
const DEFAULT_FILTER: &str = "info,kube_runtime=warn,kube_client=warn,hyper=warn,reqwest=warn";

/// Installs the global tracing subscriber.
pub fn init(format: LogFormat, otlp_endpoint: Option<&str>) -> Result<Telemetry> {
    let filter =
        || EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let fmt = match format {
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_target(true)
            // Colours only on a terminal: log files and `kubectl logs` get plain text.
            .with_ansi(
                std::io::IsTerminal::is_terminal(&std::io::stdout())
                    && std::env::var_os("NO_COLOR").is_none(),
            )
            .with_filter(filter())
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .with_filter(filter())
            .boxed(),
    };
    let (otel, provider) = match otlp_endpoint {
        Some(endpoint) => {
            let url = if endpoint.ends_with("/v1/traces") {
                endpoint.to_string()
            } else {
                format!("{}/v1/traces", endpoint.trim_end_matches('/'))
            };
            let exporter = opentelemetry_otlp::SpanExporter::builder()
                .with_http()
                .with_endpoint(url)
                .build()
                .map_err(|e| Error::Config {
                    what: "setting up the OTLP trace exporter".into(),
                    reason: e.to_string(),
                })?;
            let provider = SdkTracerProvider::builder()
                .with_batch_exporter(exporter)
                .with_resource(
                    opentelemetry_sdk::Resource::builder()
                        .with_service_name("flink-operator")
                        .build(),
                )
                .build();
            let tracer = provider.tracer("flink-operator");
            let layer = tracing_opentelemetry::layer()
                .with_tracer(tracer)
                .with_filter(filter())
                .boxed();
            (Some(layer), Some(provider))
        }
        None => (None, None),
    };
    tracing_subscriber::registry()
        .with(fmt)
        .with(otel)
        .try_init()
        .map_err(|e| Error::Config {
            what: "installing the log subscriber".into(),
            reason: e.to_string(),
        })?;
    Ok(Telemetry { provider })
}
