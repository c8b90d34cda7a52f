//! A connection to either backend, with one query interface over both.

use crate::{StoreError, StoreResult};
use jiff::Timestamp;
use msp_domain::Date;
use postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use std::borrow::Cow;

/// A value bound to or read from SQL.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Float(f64),
    Text(String),
    Date(Date),
    Timestamp(Timestamp),
    Bytes(Vec<u8>),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}
impl From<u32> for Value {
    fn from(v: u32) -> Self {
        Value::Int(i64::from(v))
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Int(i64::from(v))
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Float(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_owned())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}
impl From<Date> for Value {
    fn from(v: Date) -> Self {
        Value::Date(v)
    }
}
impl From<Timestamp> for Value {
    fn from(v: Timestamp) -> Self {
        Value::Timestamp(v)
    }
}
impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Bytes(v)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// A value bound by reference, for bulk inserts that should not allocate per cell (see
/// [`Db::insert_params`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Param<'a> {
    Null,
    Int(i64),
    Text(&'a str),
    Date(Date),
}

impl Param<'_> {
    pub fn to_value(self) -> Value {
        match self {
            Param::Null => Value::Null,
            Param::Int(v) => Value::Int(v),
            Param::Text(t) => Value::Text(t.to_owned()),
            Param::Date(d) => Value::Date(d),
        }
    }
}

impl<'a> From<&'a str> for Param<'a> {
    fn from(v: &'a str) -> Self {
        Param::Text(v)
    }
}
impl From<i64> for Param<'_> {
    fn from(v: i64) -> Self {
        Param::Int(v)
    }
}
impl From<bool> for Param<'_> {
    fn from(v: bool) -> Self {
        Param::Int(i64::from(v))
    }
}
impl From<Date> for Param<'_> {
    fn from(v: Date) -> Self {
        Param::Date(v)
    }
}
impl<'a, T: Into<Param<'a>>> From<Option<T>> for Param<'a> {
    fn from(v: Option<T>) -> Self {
        v.map_or(Param::Null, Into::into)
    }
}

/// `YYYY-MM-DD` into `buf`, as jiff's `Display` writes years 0 to 9999; `None` for other years.
fn iso_date(d: Date, buf: &mut [u8; 10]) -> Option<&str> {
    let year = u16::try_from(d.year()).ok().filter(|y| *y <= 9999)?;
    let digits = |v: u16, out: &mut [u8]| {
        let mut v = v;
        for b in out.iter_mut().rev() {
            *b = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    digits(year, &mut buf[0..4]);
    buf[4] = b'-';
    digits(d.month().unsigned_abs().into(), &mut buf[5..7]);
    buf[7] = b'-';
    digits(d.day().unsigned_abs().into(), &mut buf[8..10]);
    std::str::from_utf8(buf).ok()
}

fn bind_param(stmt: &mut rusqlite::Statement<'_>, i: usize, p: Param<'_>) -> rusqlite::Result<()> {
    match p {
        Param::Null => stmt.raw_bind_parameter(i, rusqlite::types::Null),
        Param::Int(v) => stmt.raw_bind_parameter(i, v),
        Param::Text(t) => stmt.raw_bind_parameter(i, t),
        Param::Date(d) => {
            let mut buf = [0u8; 10];
            match iso_date(d, &mut buf) {
                Some(t) => stmt.raw_bind_parameter(i, t),
                None => stmt.raw_bind_parameter(i, d.to_string()),
            }
        }
    }
}

/// A result row; getters accept either backend's representation of a type.
#[derive(Debug, Clone, PartialEq)]
pub struct Row(pub Vec<Value>);

impl Row {
    fn get(&self, i: usize) -> StoreResult<&Value> {
        self.0.get(i).ok_or(StoreError::Decode {
            column: i,
            detail: "colonne absente".into(),
        })
    }

    fn bad(i: usize, want: &str, got: &Value) -> StoreError {
        StoreError::Decode {
            column: i,
            detail: format!("{want} attendu, {got:?} reçu"),
        }
    }

    pub fn is_null(&self, i: usize) -> bool {
        matches!(self.0.get(i), Some(Value::Null) | None)
    }

    pub fn opt_int(&self, i: usize) -> StoreResult<Option<i64>> {
        match self.get(i)? {
            Value::Null => Ok(None),
            Value::Int(v) => Ok(Some(*v)),
            other => Err(Self::bad(i, "entier", other)),
        }
    }

    pub fn int(&self, i: usize) -> StoreResult<i64> {
        self.opt_int(i)?
            .ok_or_else(|| Self::bad(i, "entier", &Value::Null))
    }

    pub fn bool(&self, i: usize) -> StoreResult<bool> {
        Ok(self.int(i)? != 0)
    }

    pub fn opt_float(&self, i: usize) -> StoreResult<Option<f64>> {
        match self.get(i)? {
            Value::Null => Ok(None),
            Value::Float(v) => Ok(Some(*v)),
            #[allow(clippy::cast_precision_loss)]
            Value::Int(v) => Ok(Some(*v as f64)),
            other => Err(Self::bad(i, "nombre", other)),
        }
    }

    pub fn float(&self, i: usize) -> StoreResult<f64> {
        self.opt_float(i)?
            .ok_or_else(|| Self::bad(i, "nombre", &Value::Null))
    }

    pub fn opt_text(&self, i: usize) -> StoreResult<Option<&str>> {
        match self.get(i)? {
            Value::Null => Ok(None),
            Value::Text(v) => Ok(Some(v)),
            other => Err(Self::bad(i, "texte", other)),
        }
    }

    pub fn text(&self, i: usize) -> StoreResult<&str> {
        self.opt_text(i)?
            .ok_or_else(|| Self::bad(i, "texte", &Value::Null))
    }

    pub fn string(&self, i: usize) -> StoreResult<String> {
        self.text(i).map(str::to_owned)
    }

    pub fn opt_string(&self, i: usize) -> StoreResult<Option<String>> {
        Ok(self.opt_text(i)?.map(str::to_owned))
    }

    pub fn opt_date(&self, i: usize) -> StoreResult<Option<Date>> {
        match self.get(i)? {
            Value::Null => Ok(None),
            Value::Date(d) => Ok(Some(*d)),
            Value::Text(t) => msp_domain::dates::parse_iso(t)
                .map(Some)
                .ok_or_else(|| Self::bad(i, "date", &Value::Text(t.clone()))),
            other => Err(Self::bad(i, "date", other)),
        }
    }

    pub fn date(&self, i: usize) -> StoreResult<Date> {
        self.opt_date(i)?
            .ok_or_else(|| Self::bad(i, "date", &Value::Null))
    }

    pub fn opt_timestamp(&self, i: usize) -> StoreResult<Option<Timestamp>> {
        match self.get(i)? {
            Value::Null => Ok(None),
            Value::Timestamp(t) => Ok(Some(*t)),
            Value::Text(t) => t
                .parse()
                .map(Some)
                .map_err(|_| Self::bad(i, "horodatage", &Value::Text(t.clone()))),
            other => Err(Self::bad(i, "horodatage", other)),
        }
    }

    pub fn timestamp(&self, i: usize) -> StoreResult<Timestamp> {
        self.opt_timestamp(i)?
            .ok_or_else(|| Self::bad(i, "horodatage", &Value::Null))
    }

    pub fn opt_bytes(&self, i: usize) -> StoreResult<Option<&[u8]>> {
        match self.get(i)? {
            Value::Null => Ok(None),
            Value::Bytes(b) => Ok(Some(b)),
            other => Err(Self::bad(i, "octets", other)),
        }
    }
}

/// Which engine a connection talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

enum Conn {
    Sqlite(rusqlite::Connection),
    Postgres(postgres::Client),
}

/// One database connection.
pub struct Db {
    conn: Conn,
    in_transaction: bool,
}

impl Db {
    /// Opens `sqlite://PATH` (`sqlite::memory:` for a private in-memory database) or
    /// `postgres://...` / `postgresql://...`.
    pub fn connect(url: &str) -> StoreResult<Db> {
        let conn = if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            let c = if path == ":memory:" || path.is_empty() {
                rusqlite::Connection::open_in_memory()?
            } else {
                rusqlite::Connection::open(path).map_err(|e| sqlite_open_error(path, &e))?
            };
            // WAL lets readers run beside the writer; NORMAL sync is durable at each commit in WAL.
            c.execute_batch(
                "PRAGMA page_size = 16384; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;
                 PRAGMA busy_timeout = 10000; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -65536;",
            )?;
            c.set_prepared_statement_cache_capacity(256);
            Conn::Sqlite(c)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let mut client = postgres::Client::connect(url, postgres::NoTls)
                .map_err(|e| postgres_connect_error(url, &e))?;
            // Batches stage keys in temporary tables (millions of rows): with the default 8 MB
            // of local buffers, PostgreSQL writes them out and reads them back.
            client
                .batch_execute("SET client_min_messages = warning; SET temp_buffers = '256MB'")?;
            Conn::Postgres(client)
        } else {
            return Err(StoreError::BadUrl(redact(url)));
        };
        Ok(Db {
            conn,
            in_transaction: false,
        })
    }

    pub fn backend(&self) -> Backend {
        match self.conn {
            Conn::Sqlite(_) => Backend::Sqlite,
            Conn::Postgres(_) => Backend::Postgres,
        }
    }

    /// Runs one or more statements without parameters.
    pub fn batch(&mut self, sql: &str) -> StoreResult<()> {
        match &mut self.conn {
            Conn::Sqlite(c) => c.execute_batch(sql)?,
            Conn::Postgres(c) => c.batch_execute(sql)?,
        }
        Ok(())
    }

    /// Executes a statement, returning the number of rows changed.
    pub fn execute(&mut self, sql: &str, params: &[Value]) -> StoreResult<u64> {
        match &mut self.conn {
            Conn::Sqlite(c) => {
                let mut stmt = c.prepare_cached(&sqlite_sql(sql))?;
                Ok(stmt.execute(rusqlite::params_from_iter(params.iter()))? as u64)
            }
            Conn::Postgres(c) => {
                let stmt = c.prepare(sql)?;
                Ok(c.execute(&stmt, &pg_params(params))?)
            }
        }
    }

    /// Runs a query and returns all its rows.
    pub fn query(&mut self, sql: &str, params: &[Value]) -> StoreResult<Vec<Row>> {
        match &mut self.conn {
            Conn::Sqlite(c) => {
                let mut stmt = c.prepare_cached(&sqlite_sql(sql))?;
                let n = stmt.column_count();
                let mut rows = stmt.query(rusqlite::params_from_iter(params.iter()))?;
                let mut out = Vec::new();
                while let Some(r) = rows.next()? {
                    let mut values = Vec::with_capacity(n);
                    for i in 0..n {
                        values.push(match r.get_ref(i)? {
                            rusqlite::types::ValueRef::Null => Value::Null,
                            rusqlite::types::ValueRef::Integer(v) => Value::Int(v),
                            rusqlite::types::ValueRef::Real(v) => Value::Float(v),
                            rusqlite::types::ValueRef::Text(t) => {
                                Value::Text(String::from_utf8_lossy(t).into_owned())
                            }
                            rusqlite::types::ValueRef::Blob(b) => Value::Bytes(b.to_vec()),
                        });
                    }
                    out.push(Row(values));
                }
                Ok(out)
            }
            Conn::Postgres(c) => {
                let stmt = c.prepare(sql)?;
                let rows = c.query(&stmt, &pg_params(params))?;
                rows.iter().map(pg_row).collect()
            }
        }
    }

    /// The first row of a query, if any.
    pub fn query_opt(&mut self, sql: &str, params: &[Value]) -> StoreResult<Option<Row>> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    /// The single row of a query that must return one.
    pub fn query_one(&mut self, sql: &str, params: &[Value]) -> StoreResult<Row> {
        self.query_opt(sql, params)?
            .ok_or_else(|| StoreError::Invalid(format!("aucune ligne pour : {sql}")))
    }

    /// Inserts many rows: `head` is `INSERT INTO t (a, b, c)`, `values` holds `columns` values
    /// per row, one row after the other, and `tail` may carry an `ON CONFLICT` clause.
    pub fn insert_many(
        &mut self,
        head: &str,
        columns: usize,
        values: &[Value],
        tail: &str,
    ) -> StoreResult<u64> {
        if columns == 0 || values.is_empty() {
            return Ok(0);
        }
        if !values.len().is_multiple_of(columns) {
            return Err(StoreError::Invalid(
                "insert_many : nombre de valeurs incohérent".into(),
            ));
        }
        if let Conn::Sqlite(c) = &mut self.conn {
            // SQLite: one prepared single-row statement per row. A multi-row INSERT makes SQLite
            // keep a statement journal of every page it touches, which is much slower.
            let mut stmt = c.prepare_cached(&sqlite_sql(&multi_row_sql(head, columns, 1, tail)))?;
            let mut changed = 0;
            for row in values.chunks(columns) {
                changed += stmt.execute(rusqlite::params_from_iter(row.iter()))? as u64;
            }
            return Ok(changed);
        }
        // PostgreSQL: multi-row statements save a round trip per row.
        let per_statement = (30_000 / columns).clamp(1, 256);
        let mut changed = 0;
        for chunk in values.chunks(per_statement * columns) {
            let sql = multi_row_sql(head, columns, chunk.len() / columns, tail);
            changed += self.execute(&sql, chunk)?;
        }
        Ok(changed)
    }

    /// [`Db::insert_many`] over borrowed values: on SQLite each row is bound straight from
    /// `values` into one cached statement, without an owned copy of every cell.
    pub fn insert_params(
        &mut self,
        head: &str,
        columns: usize,
        values: &[Param<'_>],
        tail: &str,
    ) -> StoreResult<u64> {
        if columns == 0 || values.is_empty() {
            return Ok(0);
        }
        if !values.len().is_multiple_of(columns) {
            return Err(StoreError::Invalid(
                "insert_params : nombre de valeurs incohérent".into(),
            ));
        }
        if let Conn::Sqlite(c) = &mut self.conn {
            let mut stmt = c.prepare_cached(&sqlite_sql(&multi_row_sql(head, columns, 1, tail)))?;
            let mut changed = 0;
            for row in values.chunks(columns) {
                for (i, p) in row.iter().enumerate() {
                    bind_param(&mut stmt, i + 1, *p)?;
                }
                changed += stmt.raw_execute()? as u64;
            }
            return Ok(changed);
        }
        if tail.is_empty() {
            return self.copy_params(head, columns, values);
        }
        if values.len() / columns >= COPY_UPSERT_ROWS && self.in_transaction {
            return self.copy_upsert(head, columns, values, tail);
        }
        let owned: Vec<Value> = values.iter().map(|p| p.to_value()).collect();
        self.insert_many(head, columns, &owned, tail)
    }

    /// PostgreSQL, many rows with an `ON CONFLICT` clause: a binary `COPY` into a temporary
    /// table shaped like the target, then one `INSERT … SELECT … ON CONFLICT` (the rows must not
    /// repeat a key, as in one multi-row `INSERT`).
    fn copy_upsert(
        &mut self,
        head: &str,
        columns: usize,
        values: &[Param<'_>],
        tail: &str,
    ) -> StoreResult<u64> {
        let (table, cols) = insert_target(head)?;
        let staging = format!("msp_copy_{}", table.replace('.', "_"));
        self.batch(&format!(
            "CREATE TEMP TABLE IF NOT EXISTS {staging} (LIKE {table}); DELETE FROM {staging};"
        ))?;
        self.copy_params(&format!("INSERT INTO {staging} ({cols})"), columns, values)?;
        self.execute(
            &format!("INSERT INTO {table} ({cols}) SELECT {cols} FROM {staging} {tail}"),
            &[],
        )
    }

    /// PostgreSQL: plain inserts (`INSERT INTO t (a, b, c)`, no `ON CONFLICT`) as one binary
    /// `COPY t (a, b, c) FROM STDIN`, in the current transaction: no SQL text to parse per row,
    /// values sent in their binary form. The column types are the table's own, asked once per
    /// call from an empty `SELECT`.
    fn copy_params(
        &mut self,
        head: &str,
        columns: usize,
        values: &[Param<'_>],
    ) -> StoreResult<u64> {
        let Conn::Postgres(c) = &mut self.conn else {
            return Err(StoreError::Invalid("COPY : PostgreSQL seulement".into()));
        };
        let (table, cols) = insert_target(head)?;
        let types: Vec<Type> = c
            .prepare(&format!("SELECT {cols} FROM {table} LIMIT 0"))?
            .columns()
            .iter()
            .map(|col| col.type_().clone())
            .collect();
        if types.len() != columns {
            return Err(StoreError::Invalid(format!(
                "copy_params : {columns} colonnes pour {head}"
            )));
        }
        let sink = c.copy_in(&format!("COPY {table} ({cols}) FROM STDIN (FORMAT binary)"))?;
        let mut writer = postgres::binary_copy::BinaryCopyInWriter::new(sink, &types);
        let mut row: Vec<&(dyn ToSql + Sync)> = Vec::with_capacity(columns);
        for chunk in values.chunks(columns) {
            row.clear();
            row.extend(chunk.iter().map(|p| p as &(dyn ToSql + Sync)));
            writer.write(&row)?;
        }
        Ok(writer.finish()?)
    }

    /// Runs `f` inside a transaction: committed if it returns `Ok`, rolled back otherwise.
    /// On SQLite the transaction takes the write lock at once (`BEGIN IMMEDIATE`), so two
    /// writers never both read a state that one of them is about to change.
    pub fn transaction<T>(&mut self, f: impl FnOnce(&mut Db) -> StoreResult<T>) -> StoreResult<T> {
        if self.in_transaction {
            return f(self);
        }
        self.batch(match self.backend() {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN",
        })?;
        self.in_transaction = true;
        let result = f(self);
        self.in_transaction = false;
        match result {
            Ok(v) => {
                self.batch("COMMIT")?;
                Ok(v)
            }
            Err(e) => {
                let _ = self.batch("ROLLBACK");
                Err(e)
            }
        }
    }

    /// Whether the connection is unusable (left inside a transaction by a panic, or closed).
    pub fn is_broken(&self) -> bool {
        self.in_transaction
            || match &self.conn {
                Conn::Sqlite(c) => !c.is_autocommit(),
                Conn::Postgres(c) => c.is_closed(),
            }
    }
}

/// From PostgreSQL's `insert_params`, this many rows or more with an `ON CONFLICT` clause go
/// through [`Db::copy_upsert`].
const COPY_UPSERT_ROWS: usize = 2_000;

/// `INSERT INTO t (a, b)` → `("t", "a, b")`.
fn insert_target(head: &str) -> StoreResult<(&str, &str)> {
    head.trim_start()
        .strip_prefix("INSERT INTO ")
        .and_then(|t| t.split_once('('))
        .map(|(t, c)| (t.trim(), c.trim_end().trim_end_matches(')')))
        .ok_or_else(|| StoreError::Invalid(format!("insertion illisible : {head}")))
}

fn multi_row_sql(head: &str, columns: usize, rows: usize, tail: &str) -> String {
    let mut sql = String::with_capacity(head.len() + tail.len() + rows * columns * 6 + 16);
    sql.push_str(head);
    sql.push_str(" VALUES ");
    let mut n = 0;
    for r in 0..rows {
        if r > 0 {
            sql.push(',');
        }
        sql.push('(');
        for c in 0..columns {
            if c > 0 {
                sql.push(',');
            }
            n += 1;
            sql.push('$');
            sql.push_str(&n.to_string());
        }
        sql.push(')');
    }
    if !tail.is_empty() {
        sql.push(' ');
        sql.push_str(tail);
    }
    sql
}

/// « base SQLite CHEMIN : raison », in French.
fn sqlite_open_error(path: &str, e: &rusqlite::Error) -> StoreError {
    let why = match e {
        rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::CannotOpen => {
            "impossible de l’ouvrir ou de la créer (le répertoire existe-t-il, est-il accessible en écriture ?)"
        }
        rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::NotADatabase => {
            "ce fichier n’est pas une base SQLite"
        }
        rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::PermissionDenied => {
            "accès refusé"
        }
        _ => return StoreError::Unreachable(format!("base SQLite {path} : {e}")),
    };
    StoreError::Unreachable(format!("base SQLite {path} : {why}"))
}

/// One French sentence for a failed PostgreSQL connection, naming the server as host:port and
/// the database, never the password.
fn postgres_connect_error(url: &str, e: &postgres::Error) -> StoreError {
    let (server, dbname) = match url.parse::<postgres::Config>() {
        Ok(config) => {
            let host = config
                .get_hosts()
                .first()
                .map(|h| match h {
                    postgres::config::Host::Tcp(name) => name.clone(),
                    postgres::config::Host::Unix(path) => path.display().to_string(),
                })
                .unwrap_or_else(|| "localhost".into());
            let port = config.get_ports().first().copied().unwrap_or(5432);
            (
                format!("{host}:{port}"),
                config.get_dbname().map(str::to_owned),
            )
        }
        Err(_) => ("(adresse illisible)".into(), None),
    };
    let base = dbname
        .map(|d| format!(" (base « {d} »)"))
        .unwrap_or_default();
    let io = std::error::Error::source(e).and_then(|s| s.downcast_ref::<std::io::Error>());
    let why = if let Some(db) = e.as_db_error() {
        match db.code().code() {
            "28P01" | "28000" => "identifiants refusés (utilisateur ou mot de passe)".to_owned(),
            "3D000" => "cette base n’existe pas sur le serveur".to_owned(),
            _ => format!("le serveur refuse la connexion : {}", db.message()),
        }
    } else if let Some(io) = io {
        match io.kind() {
            std::io::ErrorKind::ConnectionRefused => {
                "connexion refusée (le serveur est-il démarré, sur ce port ?)".to_owned()
            }
            std::io::ErrorKind::TimedOut => "le serveur ne répond pas (délai dépassé)".to_owned(),
            _ => "serveur injoignable (nom d’hôte ou réseau)".to_owned(),
        }
    } else {
        "connexion impossible".to_owned()
    };
    StoreError::Unreachable(format!("PostgreSQL {server}{base} : {why}"))
}

/// Never print a password from a connection URL.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***{}", &url[..s], &url[at..]),
        _ => url.to_owned(),
    }
}

/// `$1` → `?1`, outside quoted strings: SQLite numbers `$NNN` parameters by first appearance,
/// `?NNN` by their number, which is what PostgreSQL means.
fn sqlite_sql(sql: &str) -> Cow<'_, str> {
    if !sql.contains('$') {
        return Cow::Borrowed(sql);
    }
    let mut out = String::with_capacity(sql.len());
    let mut quoted = false;
    let bytes = sql.as_bytes();
    for (i, ch) in sql.char_indices() {
        if ch == '\'' {
            quoted = !quoted;
        }
        if ch == '$' && !quoted && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
            out.push('?');
        } else {
            out.push(ch);
        }
    }
    Cow::Owned(out)
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(match self {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Int(v) => ToSqlOutput::Borrowed(ValueRef::Integer(*v)),
            Value::Float(v) => ToSqlOutput::Borrowed(ValueRef::Real(*v)),
            Value::Text(t) => ToSqlOutput::Borrowed(ValueRef::Text(t.as_bytes())),
            Value::Date(d) => ToSqlOutput::Owned(rusqlite::types::Value::Text(d.to_string())),
            Value::Timestamp(t) => ToSqlOutput::Owned(rusqlite::types::Value::Text(t.to_string())),
            Value::Bytes(b) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
        })
    }
}

/// An integer in the column's own type (binary COPY needs the exact width; 0/1 for booleans).
fn int_to_sql(
    v: i64,
    ty: &Type,
    out: &mut bytes::BytesMut,
) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
    match *ty {
        Type::INT4 => i32::try_from(v)?.to_sql(ty, out),
        Type::INT2 => i16::try_from(v)?.to_sql(ty, out),
        Type::BOOL => (v != 0).to_sql(ty, out),
        Type::FLOAT8 =>
        {
            #[allow(clippy::cast_precision_loss)]
            (v as f64).to_sql(ty, out)
        }
        _ => v.to_sql(ty, out),
    }
}

impl ToSql for Value {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut bytes::BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(v) => int_to_sql(*v, ty, out),
            Value::Float(v) => v.to_sql(ty, out),
            Value::Text(t) => t.as_str().to_sql(ty, out),
            Value::Date(d) => d.to_sql(ty, out),
            Value::Timestamp(t) => t.to_sql(ty, out),
            Value::Bytes(b) => b.as_slice().to_sql(ty, out),
        }
    }

    fn accepts(_ty: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

impl ToSql for Param<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut bytes::BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Param::Null => Ok(IsNull::Yes),
            Param::Int(v) => int_to_sql(*v, ty, out),
            Param::Text(t) => t.to_sql(ty, out),
            Param::Date(d) => d.to_sql(ty, out),
        }
    }

    fn accepts(_ty: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

fn pg_params(params: &[Value]) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|v| v as &(dyn ToSql + Sync)).collect()
}

fn pg_row(row: &postgres::Row) -> StoreResult<Row> {
    let mut values = Vec::with_capacity(row.len());
    for (i, col) in row.columns().iter().enumerate() {
        let v = match *col.type_() {
            Type::INT8 => row.try_get::<_, Option<i64>>(i)?.map(Value::Int),
            Type::INT4 => row
                .try_get::<_, Option<i32>>(i)?
                .map(|v| Value::Int(v.into())),
            Type::INT2 => row
                .try_get::<_, Option<i16>>(i)?
                .map(|v| Value::Int(v.into())),
            Type::BOOL => row
                .try_get::<_, Option<bool>>(i)?
                .map(|v| Value::Int(v.into())),
            Type::FLOAT8 => row.try_get::<_, Option<f64>>(i)?.map(Value::Float),
            Type::FLOAT4 => row
                .try_get::<_, Option<f32>>(i)?
                .map(|v| Value::Float(v.into())),
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => {
                row.try_get::<_, Option<String>>(i)?.map(Value::Text)
            }
            Type::DATE => row.try_get::<_, Option<Date>>(i)?.map(Value::Date),
            Type::TIMESTAMPTZ => row
                .try_get::<_, Option<Timestamp>>(i)?
                .map(Value::Timestamp),
            Type::BYTEA => row.try_get::<_, Option<Vec<u8>>>(i)?.map(Value::Bytes),
            ref other => {
                return Err(StoreError::Decode {
                    column: i,
                    detail: format!(
                        "type PostgreSQL {other} non pris en charge (CAST en BIGINT ou TEXT)"
                    ),
                });
            }
        };
        values.push(v.unwrap_or(Value::Null));
    }
    Ok(Row(values))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_placeholders_outside_strings() {
        assert_eq!(sqlite_sql("SELECT $2, '$1', $10"), "SELECT ?2, '$1', ?10");
        assert_eq!(sqlite_sql("SELECT 1"), "SELECT 1");
    }

    #[test]
    fn builds_multi_row_inserts() {
        assert_eq!(
            multi_row_sql("INSERT INTO t (a, b)", 2, 2, "ON CONFLICT DO NOTHING"),
            "INSERT INTO t (a, b) VALUES ($1,$2),($3,$4) ON CONFLICT DO NOTHING"
        );
    }

    #[test]
    fn formats_dates_as_jiff_does() {
        let mut buf = [0u8; 10];
        for d in [
            jiff::civil::date(2024, 7, 1),
            jiff::civil::date(1, 1, 1),
            jiff::civil::date(9999, 12, 31),
            jiff::civil::date(2026, 11, 30),
        ] {
            assert_eq!(iso_date(d, &mut buf), Some(d.to_string().as_str()));
        }
        assert_eq!(iso_date(jiff::civil::date(-5, 1, 1), &mut buf), None);
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://***@h/db");
    }
}
