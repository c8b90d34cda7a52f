//! Shared state of the server: the connection pool, the directory index and its answer cache,
//! the rules, the web batches.

use crate::directory::index::DirectoryIndex;
use crate::error::{AppError, Problem};
use msp_domain::Date;
use msp_store::directory::{self, DirectoryCard, ListedCard};
use msp_store::{Db, Pool, StoreError};
use std::sync::{Arc, RwLock, RwLockReadGuard};
use std::time::Duration;

/// The safety net: a full reload of the index this often, whatever the notifications said.
/// Changes by anyone (this server, another one, an import on the command line) are seen within
/// [`POLL_EVERY`] through the directory's change counter, or at once through PostgreSQL's
/// notifications (see [`AppState::watch_directory`]).
pub const RELOAD_EVERY: Duration = Duration::from_secs(300);

/// How often the change counter is read when no notification can tell (SQLite).
pub const POLL_EVERY: Duration = Duration::from_millis(200);

/// On PostgreSQL, the longest wait for a notification before reading the counter anyway (a
/// safety net: notifications tell at once, so the counter need not be read every
/// [`POLL_EVERY`]).
pub const LISTEN_WAIT: Duration = Duration::from_secs(5);

/// Options of the application.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// A fixed "today" (tests, demos); `None`: the calendar date in Paris.
    pub today: Option<Date>,
    /// Bearer token that allows `PUT /api/psychologues/{rpps}`; `None` disables edits (until
    /// psychologists have accounts).
    pub edit_token: Option<String>,
    /// The database's URL, to listen to its notifications of directory changes (PostgreSQL);
    /// `None`: the change counter is polled through the pool.
    pub db_url: Option<String>,
    /// Disables the cache of JSON search answers (see [`SEARCH_CACHE_ENTRIES`]).
    pub no_search_cache: bool,
    /// The dated rules that judge sessions recorded on line; `None`: the shipped rules.
    pub rules: Option<Arc<msp_domain::Rules>>,
    /// The secret of the patient references (`MSP_PATIENT_KEY`); `None`: the one kept in the
    /// database, generated at first start.
    pub patient_key: Option<String>,
    /// Whether the client's address is read from the proxy's `Forwarded` / `X-Forwarded-For`
    /// header (`--trust-proxy`, `MSP_TRUST_PROXY`); otherwise the TCP peer's address.
    pub trust_proxy: bool,
    /// The SMTP server reminders are sent through; `None`: reminders are only recorded (the
    /// admin sees them).
    pub smtp: Option<crate::services::reminders::SmtpConfig>,
    /// The address people reach the server at (`https://annuaire.exemple.fr`), for the links of
    /// the e-mails.
    pub public_url: Option<String>,
    /// OpenID Connect providers (Pro Santé Connect, FranceConnect); none: password sign-in only.
    pub oidc: Vec<crate::services::oidc::ProviderConfig>,
}

/// JSON search answers kept in memory, keyed by query string; the cache is emptied when the
/// index changes (card written, periodic reload), when the day changes, and when it is full.
pub const SEARCH_CACHE_ENTRIES: usize = 20_000;

#[derive(Default)]
struct SearchCache {
    generation: u64,
    day: Option<Date>,
    answers: std::collections::HashMap<String, axum::body::Bytes>,
}

struct Inner {
    pool: Pool,
    index: RwLock<DirectoryIndex>,
    options: Options,
    rules: Arc<msp_domain::Rules>,
    /// Bumped whenever the index changes.
    generation: std::sync::atomic::AtomicU64,
    cache: RwLock<SearchCache>,
    /// Batches judged from the web, in the database (see [`crate::services::claims::Jobs`]).
    jobs: crate::services::claims::Jobs,
    metrics: crate::ops::Metrics,
    /// The directory's change counter when the index was first loaded.
    loaded_version: Option<i64>,
    patient_key: crate::services::audit::PatientKey,
}

/// Shared state of the server: the connection pool and the directory index.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

impl AppState {
    /// Loads every card from the store and builds the index (blocking: call it before serving
    /// or inside `spawn_blocking`).
    pub fn new(pool: Pool, options: Options) -> Result<AppState, StoreError> {
        let today = options.today.unwrap_or_else(system_today);
        let (loaded_version, cards) = {
            let mut db = pool.get()?;
            // The counter before the cards: the index is at least as new as it.
            let version = msp_store::changes::version(&mut db).ok();
            (version, directory::load_cards(&mut db)?)
        };
        let secret: String = match &options.patient_key {
            Some(k) => k.clone(),
            None => msp_store::secrets::get_or_create(
                &mut *pool.get()?,
                msp_store::secrets::PATIENT_REF_KEY,
                &crate::security::random_token(),
            )?,
        };
        let patient_key = crate::services::audit::PatientKey::new(&secret);
        let index = DirectoryIndex::build(cards, today);
        let rules = options
            .rules
            .clone()
            .unwrap_or_else(|| Arc::new(msp_domain::Rules::standard()));
        Ok(AppState(Arc::new(Inner {
            jobs: crate::services::claims::Jobs::new(pool.clone()),
            pool,
            index: RwLock::new(index),
            options,
            rules,
            generation: std::sync::atomic::AtomicU64::new(0),
            cache: RwLock::new(SearchCache::default()),
            metrics: crate::ops::Metrics::default(),
            loaded_version,
            patient_key,
        })))
    }

    /// The key of the patient references (see [`crate::services::audit::patient_ref`]).
    pub fn patient_key(&self) -> &crate::services::audit::PatientKey {
        &self.0.patient_key
    }

    /// How the audit log and the API name this patient.
    pub fn patient_ref(&self, nir: &msp_domain::Nir) -> String {
        crate::services::audit::patient_ref(&self.0.patient_key, nir)
    }

    /// Whether the proxy's header tells the client's address.
    pub fn trust_proxy(&self) -> bool {
        self.0.options.trust_proxy
    }

    /// Changes whenever the index changes.
    pub fn generation(&self) -> u64 {
        self.0.generation.load(std::sync::atomic::Ordering::Acquire)
    }

    fn bump(&self) {
        self.0
            .generation
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    }

    /// A cached JSON search answer for this query string, if still valid.
    pub fn cached_response(&self, query: &str, today: Date) -> Option<axum::body::Bytes> {
        if self.0.options.no_search_cache {
            return None;
        }
        let cache = self
            .0
            .cache
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if cache.generation != self.generation() || cache.day != Some(today) {
            return None;
        }
        cache.answers.get(query).cloned()
    }

    /// Keeps a JSON search answer computed from the index at `generation`.
    pub fn cache_response(
        &self,
        query: &str,
        today: Date,
        generation: u64,
        body: axum::body::Bytes,
    ) {
        if self.0.options.no_search_cache || generation != self.generation() {
            return;
        }
        let mut cache = self
            .0
            .cache
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if cache.generation != generation
            || cache.day != Some(today)
            || cache.answers.len() >= SEARCH_CACHE_ENTRIES
        {
            cache.answers.clear();
            cache.generation = generation;
            cache.day = Some(today);
        }
        cache.answers.insert(query.to_owned(), body);
    }

    /// The date that decides who is listed.
    pub fn today(&self) -> Date {
        self.0.options.today.unwrap_or_else(system_today)
    }

    pub fn pool(&self) -> &Pool {
        &self.0.pool
    }

    /// The dated rules sessions recorded on line are judged by.
    pub fn rules(&self) -> &msp_domain::Rules {
        &self.0.rules
    }

    pub fn options(&self) -> &Options {
        &self.0.options
    }

    /// Runs store work on the blocking pool, with a connection of the pool.
    pub async fn db<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Db) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, AppError> {
        let state = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut db = state.pool().get()?;
            Ok(f(&mut db)?)
        })
        .await?
    }

    /// The batches CPAM agents run from the web: progress and outcome, in memory.
    pub fn jobs(&self) -> &crate::services::claims::Jobs {
        &self.0.jobs
    }

    /// The counters `GET /metrics` shows.
    pub fn metrics(&self) -> &crate::ops::Metrics {
        &self.0.metrics
    }

    /// Read access to the index.
    pub fn index(&self) -> RwLockReadGuard<'_, DirectoryIndex> {
        self.0
            .index
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Rebuilds the index from the store (blocking).
    pub fn reload(&self) -> Result<usize, StoreError> {
        let cards = directory::load_cards(&mut *self.0.pool.get()?)?;
        Ok(self.install(DirectoryIndex::build(cards, self.today())))
    }

    /// Puts a new index in place of the old one; its number of cards.
    fn install(&self, index: DirectoryIndex) -> usize {
        let n = index.len();
        self.0.metrics.directory_reloaded();
        *self
            .0
            .index
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = index;
        self.bump();
        n
    }

    /// Rebuilds the index from the store after a change, keeping the default search radii
    /// (blocking).
    pub fn refresh(&self) -> Result<usize, StoreError> {
        let cards = directory::load_cards(&mut *self.0.pool.get()?)?;
        let index = DirectoryIndex::build_keeping_radii(cards, &self.index());
        Ok(self.install(index))
    }

    /// Keeps the index in step with the database, whoever writes it, until this state is
    /// dropped: on PostgreSQL a connection of its own listens to `msp_annuaire` (sent by triggers
    /// at commit) and the change counter is read at least every [`LISTEN_WAIT`]; on SQLite the
    /// counter is read every [`POLL_EVERY`]; the whole index is reloaded every [`RELOAD_EVERY`]
    /// anyway.
    pub fn watch_directory(&self) -> std::io::Result<std::thread::JoinHandle<()>> {
        let weak = Arc::downgrade(&self.0);
        let url = self.0.options.db_url.clone();
        // Listening before returning: a change committed from now on is notified. The
        // connection is made on the watcher's thread (the synchronous PostgreSQL client starts a
        // runtime of its own, which cannot happen inside the server's), and this call waits for it.
        let (listening, ready) = std::sync::mpsc::channel();
        let handle = std::thread::Builder::new()
            .name("annuaire".into())
            .spawn(move || {
                let listener = listen(url.as_deref());
                let _ = listening.send(());
                watch(weak, url, listener)
            })?;
        let _ = ready.recv();
        Ok(handle)
    }

    /// Reloads one psychologist's card and rights from the store into the index (blocking):
    /// after a signature, suspension, exclusion or withdrawal.
    pub fn refresh_card(&self, rpps: msp_domain::Rpps) -> Result<(), StoreError> {
        let Some(card) = directory::load_card(&mut *self.0.pool.get()?, rpps)? else {
            return Ok(());
        };
        self.0
            .index
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .upsert(card);
        self.bump();
        Ok(())
    }

    /// Writes a card to the store and into the index (blocking).
    pub fn upsert_card(&self, card: &DirectoryCard) -> Result<ListedCard, Problem> {
        self.upsert_card_with(card, |_| Ok(()))
    }

    /// [`AppState::upsert_card`] with more store work in the same transaction (the audit line).
    pub fn upsert_card_with(
        &self,
        card: &DirectoryCard,
        also: impl FnOnce(&mut Db) -> Result<(), StoreError>,
    ) -> Result<ListedCard, Problem> {
        let mut db = self.0.pool.get().map_err(|e| Problem::internal(&e))?;
        let stored = db
            .transaction(|tx| {
                if !directory::is_registered_psychologist(tx, card.rpps)? {
                    return Ok(None);
                }
                directory::upsert_card(tx, card, jiff::Timestamp::now())?;
                also(tx)?;
                directory::load_card(tx, card.rpps)
            })
            .map_err(|e| match e {
                StoreError::Invalid(m) => Problem::bad_request("fiche_invalide", m),
                other => Problem::internal(&other),
            })?
            .ok_or_else(|| {
                Problem::new(
                    axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                    "rpps_hors_repertoire",
                    format!(
                        "Le RPPS {} n’est pas celui d’un psychologue du répertoire national.",
                        card.rpps
                    ),
                )
            })?;
        self.0
            .index
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .upsert(stored.clone());
        self.bump();
        Ok(stored)
    }
}

/// A connection listening to the directory's notifications (PostgreSQL), if it can be had.
fn listen(url: Option<&str>) -> Option<msp_store::changes::Listener> {
    url.and_then(|u| {
        msp_store::changes::Listener::connect(u)
            .map_err(|e| tracing::warn!(error = %e, "directory notifications unavailable"))
            .ok()
            .flatten()
    })
}

fn watch(
    state: std::sync::Weak<Inner>,
    url: Option<String>,
    mut listener: Option<msp_store::changes::Listener>,
) {
    use msp_store::changes::{self, Listener};
    let mut seen = match state.upgrade() {
        Some(inner) => inner.loaded_version,
        None => return,
    };
    let mut full = std::time::Instant::now();
    // Once listening (at start, after a reconnection), the counter is read at once: a change
    // committed before the LISTEN was not notified.
    let mut just_listening = true;
    loop {
        let notified = match listener.as_mut() {
            Some(_) if just_listening => false,
            Some(l) => l.wait(LISTEN_WAIT).unwrap_or_else(|e| {
                tracing::warn!(error = %e, "directory notifications lost: reconnecting");
                // No busy loop while the connection is down.
                std::thread::sleep(POLL_EVERY);
                false
            }),
            None => {
                std::thread::sleep(POLL_EVERY);
                false
            }
        };
        just_listening = false;
        if listener.as_ref().is_some_and(Listener::is_closed) {
            listener = listen(url.as_deref());
            just_listening = true;
        }
        let Some(inner) = state.upgrade() else { return };
        let s = AppState(inner);
        let version =
            s.0.pool
                .get()
                .ok()
                .and_then(|mut db| changes::version(&mut db).ok());
        let changed = notified || (version.is_some() && version != seen);
        let periodic = full.elapsed() >= RELOAD_EVERY;
        if changed || periodic {
            let reloaded = if periodic { s.reload() } else { s.refresh() };
            match reloaded {
                Ok(n) => tracing::debug!(cards = n, notified, "directory index reloaded"),
                Err(e) => tracing::warn!(error = %e, "directory index reload failed"),
            }
            seen = version;
            if periodic {
                full = std::time::Instant::now();
            }
        }
    }
}

/// Today's date in France (Europe/Paris, from the bundled time-zone database).
pub fn system_today() -> Date {
    jiff::Timestamp::now()
        .to_zoned(crate::views::paris())
        .date()
}
