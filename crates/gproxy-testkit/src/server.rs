//! The server: [`MockOptions`], the [`MockUpstream`] handle (start, script, request log,
//! shutdown), the shared state handlers and the `/__mock/` control endpoints see, and the route
//! table.

use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::middleware;
use axum::response::Response;
use axum::serve::ListenerExt;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::record::{RecordedRequest, Seq, record};
use crate::script::Reply;
use crate::surface::Surface;
use crate::{anthropic, control, gemini, models, openai, responses};

/// How a mock server behaves when the script does not say otherwise.
#[derive(Clone, Debug, Default)]
pub struct MockOptions {
    /// Port to bind on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// When set, requests whose credential (`Authorization: Bearer`, `x-api-key`,
    /// `x-goog-api-key` or `?key=`) differs get a 401 in their protocol's error shape.
    pub expected_key: Option<String>,
    /// Delay before the response headers of every request.
    pub latency: Duration,
    /// Reply used when the script is empty; `None` means [`Reply::default`].
    pub default_reply: Option<Reply>,
    /// Keep only the newest this many requests in the log (`None`: all). Long benchmark
    /// runs set it: a full log of 10 KB prompts grows by gigabytes a minute.
    pub record_limit: Option<usize>,
}

/// State shared by the handle and every handler.
pub(crate) type AppState = Arc<Shared>;

/// What the handlers and the handle share.
pub(crate) struct Shared {
    /// Fixed at start.
    options: MockOptions,
    /// Replies pushed by the test, consumed front first.
    script: Mutex<VecDeque<Reply>>,
    /// Standing replies by credential: every request presenting the key gets its reply
    /// (a revoked key, a rate-limited one), whatever the script holds.
    by_key: Mutex<std::collections::HashMap<String, Reply>>,
    /// Extra headers of the reply a request got, by request number, until the logging
    /// middleware puts them on the response.
    reply_headers: Mutex<std::collections::HashMap<u64, Vec<(String, String)>>>,
    /// Requests received, in arrival order (the newest `record_limit` of them).
    requests: Mutex<VecDeque<RecordedRequest>>,
    /// How many requests arrived since start or the last reset (numbers replies).
    seq: AtomicU64,
    /// Streams whose reader went away before their last event (the client cancelled).
    abandoned: Arc<AtomicU64>,
}

/// Locks ignoring poison: the guarded data stays consistent even if a holder panicked.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    pub fn options(&self) -> &MockOptions {
        &self.options
    }

    /// The counter of abandoned streams, for a stream to bump when dropped early.
    pub fn abandoned(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.abandoned)
    }

    /// Keeps a reply's extra headers for request `seq`'s response.
    pub fn hold_headers(&self, seq: u64, headers: Vec<(String, String)>) {
        lock(&self.reply_headers).insert(seq, headers);
    }

    /// The extra headers held for request `seq`, once.
    pub fn take_headers(&self, seq: u64) -> Vec<(String, String)> {
        lock(&self.reply_headers).remove(&seq).unwrap_or_default()
    }

    /// The standing reply of the first of `keys` that has one.
    pub fn reply_for_key<'a>(&self, keys: impl IntoIterator<Item = &'a str>) -> Option<Reply> {
        let by_key = lock(&self.by_key);
        keys.into_iter().find_map(|k| by_key.get(k).cloned())
    }

    /// Pops the next scripted reply, or the default one.
    pub fn next_reply(&self) -> Reply {
        lock(&self.script)
            .pop_front()
            .unwrap_or_else(|| self.default_reply())
    }

    /// The reply served when the script is empty.
    pub fn default_reply(&self) -> Reply {
        self.options.default_reply.clone().unwrap_or_default()
    }

    /// Appends replies to the script, atomically: no request sees half of them.
    pub fn push_all(&self, replies: impl IntoIterator<Item = Reply>) {
        lock(&self.script).extend(replies);
    }

    /// A copy of the request log.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.requests).iter().cloned().collect()
    }

    /// Forgets the request log and every pending reply; request numbering restarts at 1.
    pub fn reset(&self) {
        lock(&self.script).clear();
        lock(&self.by_key).clear();
        lock(&self.requests).clear();
        self.seq.store(0, Ordering::Relaxed);
    }

    /// Appends to the log and returns the request's 1-based position.
    pub fn record(&self, request: RecordedRequest) -> u64 {
        let mut requests = lock(&self.requests);
        requests.push_back(request);
        if let Some(limit) = self.options.record_limit {
            while requests.len() > limit {
                requests.pop_front();
            }
        }
        self.seq.fetch_add(1, Ordering::Relaxed) + 1
    }
}

/// Stops the server when the last [`MockUpstream`] clone is dropped.
struct Control {
    addr: SocketAddr,
    /// Flipped to `true` to start the graceful shutdown.
    stop: watch::Sender<bool>,
    /// The serving task, taken by [`MockUpstream::join`].
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Drop for Control {
    fn drop(&mut self) {
        self.stop.send_replace(true);
    }
}

/// Handle to a running mock upstream. Cheap to clone; the server stops when
/// [`MockUpstream::shutdown`] is called or the last clone is dropped.
#[derive(Clone)]
pub struct MockUpstream {
    shared: AppState,
    control: Arc<Control>,
}

impl std::fmt::Debug for MockUpstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockUpstream")
            .field("addr", &self.control.addr)
            .finish_non_exhaustive()
    }
}

impl MockUpstream {
    /// Starts a mock with default options on `127.0.0.1` and a free port.
    pub async fn start() -> anyhow::Result<MockUpstream> {
        Self::start_with(MockOptions::default()).await
    }

    /// Starts a mock on `127.0.0.1:{opts.port}`.
    pub async fn start_with(opts: MockOptions) -> anyhow::Result<MockUpstream> {
        let addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), opts.port);
        Self::bind(addr, opts).await
    }

    /// Starts a mock on `addr` (any interface); `opts.port` is ignored.
    pub async fn bind(addr: SocketAddr, opts: MockOptions) -> anyhow::Result<MockUpstream> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            options: opts,
            script: Mutex::new(VecDeque::new()),
            by_key: Mutex::new(Default::default()),
            reply_headers: Mutex::new(Default::default()),
            requests: Mutex::new(VecDeque::new()),
            seq: AtomicU64::new(0),
            abandoned: Arc::new(AtomicU64::new(0)),
        });
        let (stop, mut stopped) = watch::channel(false);
        let app = router(shared.clone());
        let task = tokio::spawn(async move {
            let signal = async move {
                // An error means every sender is gone, which is a stop request too.
                let _ = stopped.wait_for(|stop| *stop).await;
            };
            // Stream events are small: without TCP_NODELAY they wait on delayed ACKs.
            let listener = listener.tap_io(|tcp| {
                let _ = tcp.set_nodelay(true);
            });
            if let Err(err) = axum::serve(listener, app)
                .with_graceful_shutdown(signal)
                .await
            {
                tracing::error!(%err, "mock upstream stopped with an error");
            }
        });
        let control = Arc::new(Control {
            addr,
            stop,
            task: Mutex::new(Some(task)),
        });
        Ok(MockUpstream { shared, control })
    }

    /// `http://HOST:PORT`, without a trailing slash or version prefix.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.control.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.control.addr
    }

    /// Every request presenting `key` gets `reply` from now on (until [`MockUpstream::reset`]),
    /// before the script is consulted.
    pub fn reply_to_key(&self, key: impl Into<String>, reply: Reply) {
        lock(&self.shared.by_key).insert(key.into(), reply);
    }

    /// Appends a reply to the script: the next request without an earlier scripted reply gets
    /// it. Every request that reaches a protocol handler consumes one (401s, malformed bodies
    /// and unknown paths do not).
    pub fn push(&self, reply: Reply) {
        self.shared.push_all([reply]);
    }

    /// Every request received so far, in order. Requests to the `/__mock/` control endpoints
    /// are not logged.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.requests()
    }

    /// Forgets the request log and every pending reply (what `DELETE /__mock/requests` does).
    pub fn reset(&self) {
        self.shared.reset();
    }

    /// How many streams were dropped by their reader before their last event: a client
    /// (the gateway) that cancelled the request mid-stream.
    pub fn abandoned_streams(&self) -> u64 {
        self.shared.abandoned.load(Ordering::Relaxed)
    }

    /// The most recent request, if any.
    pub fn last_request(&self) -> Option<RecordedRequest> {
        lock(&self.shared.requests).back().cloned()
    }

    /// Stops accepting connections and lets in-flight responses finish.
    pub fn shutdown(&self) {
        self.control.stop.send_replace(true);
    }

    /// Waits until the server task has ended (after [`MockUpstream::shutdown`]). Only the first
    /// caller waits; later calls return at once.
    pub async fn join(&self) {
        let task = lock(&self.control.task).take();
        if let Some(task) = task
            && let Err(err) = task.await
        {
            tracing::error!(%err, "mock upstream task failed");
        }
    }
}

/// The whole route table; each area owns its routes next to its handlers.
fn router(state: AppState) -> Router {
    Router::new()
        .merge(openai::router())
        .merge(responses::router())
        .merge(anthropic::router())
        .merge(gemini::router())
        .merge(models::router())
        .merge(control::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), record))
        .with_state(state)
}

/// Unknown path: 404 in the shape of the protocol the path looks like.
async fn not_found(State(state): State<AppState>, req: Request) -> Response {
    let response = unrouted(&req, 404, "not found");
    crate::script::pause(state.options().latency).await;
    response
}

/// Known path, wrong method: 405 with a JSON body.
async fn method_not_allowed(State(state): State<AppState>, req: Request) -> Response {
    let response = unrouted(&req, 405, "method not allowed");
    crate::script::pause(state.options().latency).await;
    response
}

fn unrouted(req: &Request, status: u16, what: &str) -> Response {
    let seq = req.extensions().get::<Seq>().map_or(0, |s| s.0);
    let uri = req.uri();
    let surface = Surface::detect(uri.path(), uri.query(), req.headers());
    let message = format!("mock: {what}: {} {}", req.method(), uri.path());
    surface.error(status, &message, seq)
}
