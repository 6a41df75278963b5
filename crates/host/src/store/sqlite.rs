//! [`Store`] on a SQLite file (WAL, one writer), with embedded migrations.

use async_trait::async_trait;
use instant_share_protocol::{SessionStatus, UnixMillis};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};

use super::*;

/// The host's records in one SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Conflict(db.message().to_owned())
            }
            _ => StoreError::Backend(e.to_string()),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        StoreError::Backend(format!("migration: {e}"))
    }
}

fn millis(v: i64) -> UnixMillis {
    u64::try_from(v).unwrap_or(0)
}

fn sql_millis(v: UnixMillis) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn hash(row: &sqlx::sqlite::SqliteRow, col: &str) -> Result<SecretHash, StoreError> {
    let bytes: Vec<u8> = row.try_get(col)?;
    bytes
        .try_into()
        .map_err(|_| StoreError::Backend(format!("{col} is not 32 bytes")))
}

fn expert(row: &sqlx::sqlite::SqliteRow) -> Result<ExpertRecord, StoreError> {
    let skills: String = row.try_get("skills")?;
    Ok(ExpertRecord {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        display_name: row.try_get("display_name")?,
        password_hash: row.try_get("password_hash")?,
        skills: skills
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
    })
}

impl SqliteStore {
    /// Opens (creating if missing) the database file and runs the migrations.
    pub async fn open(path: &std::path::Path) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(std::time::Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Self { pool })
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn add_expert(&self, e: &ExpertRecord, now: UnixMillis) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO experts (id, username, display_name, password_hash, skills, created_at)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(&e.id)
        .bind(&e.username)
        .bind(&e.display_name)
        .bind(&e.password_hash)
        .bind(e.skills.join(","))
        .bind(sql_millis(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn expert_by_username(&self, username: &str) -> Result<Option<ExpertRecord>, StoreError> {
        let row = sqlx::query("SELECT * FROM experts WHERE username = ?")
            .bind(username)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(expert).transpose()
    }

    async fn experts(&self) -> Result<Vec<ExpertRecord>, StoreError> {
        let rows = sqlx::query("SELECT * FROM experts ORDER BY created_at")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(expert).collect()
    }

    async fn add_login(
        &self,
        token: &SecretHash,
        expert_id: &str,
        expires_at: UnixMillis,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO expert_logins (token_hash, expert_id, expires_at) VALUES (?, ?, ?)",
        )
        .bind(&token[..])
        .bind(expert_id)
        .bind(sql_millis(expires_at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn expert_by_login(
        &self,
        token: &SecretHash,
        now: UnixMillis,
    ) -> Result<Option<ExpertRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT e.* FROM expert_logins l JOIN experts e ON e.id = l.expert_id
             WHERE l.token_hash = ? AND l.expires_at > ?",
        )
        .bind(&token[..])
        .bind(sql_millis(now))
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(expert).transpose()
    }

    async fn remove_login(&self, token: &SecretHash) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM expert_logins WHERE token_hash = ?")
            .bind(&token[..])
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn add_enrolment_code(
        &self,
        code: &SecretHash,
        employee_name: &str,
        now: UnixMillis,
        expires_at: UnixMillis,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO enrolment_codes (code_hash, employee_name, created_at, expires_at) VALUES (?, ?, ?, ?)",
        )
        .bind(&code[..])
        .bind(employee_name)
        .bind(sql_millis(now))
        .bind(sql_millis(expires_at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn redeem_enrolment_code(
        &self,
        code: &SecretHash,
        now: UnixMillis,
        device_id: &str,
        device_name: &str,
        credential: &SecretHash,
    ) -> Result<Result<String, RedeemRefusal>, StoreError> {
        // Read, then write: a deferred transaction would fail at once (not wait) when another
        // connection wrote in between, so take the write lock first.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let row = sqlx::query(
            "SELECT employee_name, expires_at, used_at FROM enrolment_codes WHERE code_hash = ?",
        )
        .bind(&code[..])
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(Err(RedeemRefusal::Invalid));
        };
        let used_at: Option<i64> = row.try_get("used_at")?;
        if used_at.is_some() {
            return Ok(Err(RedeemRefusal::Used));
        }
        if millis(row.try_get("expires_at")?) <= now {
            return Ok(Err(RedeemRefusal::Invalid));
        }
        let employee: String = row.try_get("employee_name")?;
        // The `used_at IS NULL` guard makes a concurrent second redemption change nothing.
        let updated = sqlx::query("UPDATE enrolment_codes SET used_at = ?, device_id = ? WHERE code_hash = ? AND used_at IS NULL")
            .bind(sql_millis(now))
            .bind(device_id)
            .bind(&code[..])
            .execute(&mut *tx)
            .await?;
        if updated.rows_affected() != 1 {
            return Ok(Err(RedeemRefusal::Used));
        }
        sqlx::query("INSERT INTO devices (id, name, employee_name, credential_hash, created_at) VALUES (?, ?, ?, ?, ?)")
            .bind(device_id)
            .bind(device_name)
            .bind(&employee)
            .bind(&credential[..])
            .bind(sql_millis(now))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Ok(employee))
    }

    async fn device_by_credential(
        &self,
        credential: &SecretHash,
    ) -> Result<Option<DeviceRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT id, name, employee_name, revoked_at FROM devices WHERE credential_hash = ?",
        )
        .bind(&credential[..])
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(DeviceRecord {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                employee_name: r.try_get("employee_name")?,
                revoked_at: r.try_get::<Option<i64>, _>("revoked_at")?.map(millis),
            })
        })
        .transpose()
    }

    async fn revoke_device(&self, device_id: &str, now: UnixMillis) -> Result<bool, StoreError> {
        let r =
            sqlx::query("UPDATE devices SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
                .bind(sql_millis(now))
                .bind(device_id)
                .execute(&self.pool)
                .await?;
        Ok(r.rows_affected() == 1)
    }

    async fn apply(&self, writes: &[Write]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        for w in writes {
            match w {
                Write::CreateSession(s) => {
                    sqlx::query(
                        "INSERT INTO sessions (id, topic, note, device_id, requester_name, client, created_at, status)
                         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    )
                    .bind(&s.id)
                    .bind(&s.topic)
                    .bind(&s.note)
                    .bind(&s.device_id)
                    .bind(&s.requester_name)
                    .bind(&s.client)
                    .bind(sql_millis(s.created_at))
                    .bind(enum_name(&s.status))
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query(
                        "INSERT INTO session_transitions (session_id, status, at) VALUES (?, ?, ?)",
                    )
                    .bind(&s.id)
                    .bind(enum_name(&s.status))
                    .bind(sql_millis(s.created_at))
                    .execute(&mut *tx)
                    .await?;
                }
                Write::Transition {
                    session_id,
                    status,
                    detail,
                    at,
                    expert_id,
                    end_reason,
                } => {
                    sqlx::query(
                        "UPDATE sessions SET status = ?,
                            expert_id = COALESCE(?, expert_id),
                            end_reason = COALESCE(?, end_reason),
                            ended_at = CASE WHEN ? = 'ended' THEN ? ELSE ended_at END
                         WHERE id = ?",
                    )
                    .bind(enum_name(status))
                    .bind(expert_id)
                    .bind(end_reason.as_ref().map(enum_name))
                    .bind(enum_name(status))
                    .bind(sql_millis(*at))
                    .bind(session_id)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query("INSERT INTO session_transitions (session_id, status, detail, at) VALUES (?, ?, ?, ?)")
                        .bind(session_id)
                        .bind(enum_name(status))
                        .bind(detail)
                        .bind(sql_millis(*at))
                        .execute(&mut *tx)
                        .await?;
                }
                Write::AddParticipant(p) => {
                    sqlx::query(
                        "INSERT INTO participants (session_id, id, role, display_name, token_hash, expires_at, may_draw, expert_id)
                         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    )
                    .bind(&p.session_id)
                    .bind(&p.id)
                    .bind(enum_name(&p.role))
                    .bind(&p.display_name)
                    .bind(&p.token_hash[..])
                    .bind(sql_millis(p.expires_at))
                    .bind(p.may_draw)
                    .bind(&p.expert_id)
                    .execute(&mut *tx)
                    .await?;
                }
                Write::Pickup { session_id, pickup } => {
                    sqlx::query("UPDATE sessions SET pickup = ? WHERE id = ?")
                        .bind(*pickup)
                        .bind(session_id)
                        .execute(&mut *tx)
                        .await?;
                }
                Write::AppendEvent(e) => {
                    sqlx::query("INSERT INTO session_events (session_id, seq, body, at) VALUES (?, ?, ?, ?)")
                        .bind(&e.session_id)
                        .bind(i64::try_from(e.seq).unwrap_or(i64::MAX))
                        .bind(&e.body)
                        .bind(sql_millis(e.at))
                        .execute(&mut *tx)
                        .await?;
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn open_sessions(&self) -> Result<Vec<OpenSession>, StoreError> {
        let rows =
            sqlx::query("SELECT * FROM sessions WHERE status <> 'ended' ORDER BY created_at")
                .fetch_all(&self.pool)
                .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let id: String = r.try_get("id")?;
            let record = SessionRecord {
                topic: r.try_get("topic")?,
                note: r.try_get("note")?,
                device_id: r.try_get("device_id")?,
                requester_name: r.try_get("requester_name")?,
                client: r.try_get("client")?,
                created_at: millis(r.try_get("created_at")?),
                status: parse_enum(&r.try_get::<String, _>("status")?)?,
                end_reason: r
                    .try_get::<Option<String>, _>("end_reason")?
                    .as_deref()
                    .map(parse_enum)
                    .transpose()?,
                expert_id: r.try_get("expert_id")?,
                id: id.clone(),
            };
            let participants = sqlx::query(
                "SELECT * FROM participants WHERE session_id = ? AND revoked = 0 ORDER BY rowid",
            )
            .bind(&id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|p| {
                Ok(ParticipantRecord {
                    session_id: id.clone(),
                    id: p.try_get("id")?,
                    role: parse_enum(&p.try_get::<String, _>("role")?)?,
                    display_name: p.try_get("display_name")?,
                    token_hash: hash(p, "token_hash")?,
                    expires_at: millis(p.try_get("expires_at")?),
                    may_draw: p.try_get("may_draw")?,
                    expert_id: p.try_get("expert_id")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
            let events = sqlx::query(
                "SELECT seq, body, at FROM session_events WHERE session_id = ? ORDER BY seq",
            )
            .bind(&id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|e| {
                Ok(EventRecord {
                    session_id: id.clone(),
                    seq: millis(e.try_get("seq")?),
                    body: e.try_get("body")?,
                    at: millis(e.try_get("at")?),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
            out.push(OpenSession {
                record,
                participants,
                events,
            });
        }
        Ok(out)
    }

    async fn recent_sessions(&self, limit: u32) -> Result<Vec<RecentSession>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM (
                SELECT a.at AS active_at,
                       (SELECT MAX(o.at) FROM session_transitions o
                         WHERE o.session_id = s.id AND o.status = 'offered' AND o.at <= a.at
                           AND COALESCE(s.pickup, 'offer') = 'offer') AS offered_at,
                       s.ended_at, s.end_reason
                  FROM sessions s
                  JOIN session_transitions a ON a.session_id = s.id AND a.status = 'active'
                 ORDER BY a.at DESC
                 LIMIT ?)
             ORDER BY active_at",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let ended_at: Option<i64> = r.try_get("ended_at")?;
                let reason: Option<String> = r.try_get("end_reason")?;
                let ended = match (ended_at, reason) {
                    (Some(at), Some(reason)) => Some((millis(at), parse_enum(&reason)?)),
                    _ => None,
                };
                Ok(RecentSession {
                    active_at: millis(r.try_get("active_at")?),
                    offered_at: r.try_get::<Option<i64>, _>("offered_at")?.map(millis),
                    ended,
                })
            })
            .collect()
    }

    async fn participant_by_token(
        &self,
        session_id: &str,
        token: &SecretHash,
        now: UnixMillis,
    ) -> Result<Option<(ParticipantRecord, SessionStatus)>, StoreError> {
        let row = sqlx::query(
            "SELECT p.*, s.status AS session_status FROM participants p
               JOIN sessions s ON s.id = p.session_id
              WHERE p.session_id = ? AND p.token_hash = ? AND p.revoked = 0 AND p.expires_at > ?",
        )
        .bind(session_id)
        .bind(&token[..])
        .bind(sql_millis(now))
        .fetch_optional(&self.pool)
        .await?;
        let Some(p) = row else { return Ok(None) };
        let record = ParticipantRecord {
            session_id: session_id.to_owned(),
            id: p.try_get("id")?,
            role: parse_enum(&p.try_get::<String, _>("role")?)?,
            display_name: p.try_get("display_name")?,
            token_hash: hash(&p, "token_hash")?,
            expires_at: millis(p.try_get("expires_at")?),
            may_draw: p.try_get("may_draw")?,
            expert_id: p.try_get("expert_id")?,
        };
        let status = parse_enum(&p.try_get::<String, _>("session_status")?)?;
        Ok(Some((record, status)))
    }

    async fn save_feedback(
        &self,
        session_id: &str,
        feedback: &instant_share_protocol::Feedback,
        at: UnixMillis,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO feedback (session_id, solved, rating, comment, at) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (session_id) DO UPDATE SET
                solved = excluded.solved, rating = excluded.rating,
                comment = excluded.comment, at = excluded.at",
        )
        .bind(session_id)
        .bind(feedback.solved)
        .bind(feedback.rating.map(i64::from))
        .bind(&feedback.comment)
        .bind(sql_millis(at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn save_wrap_up(
        &self,
        session_id: &str,
        expert_id: &str,
        wrap_up: &instant_share_protocol::WrapUp,
        at: UnixMillis,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO wrap_ups (session_id, expert_id, outcome, note, at) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (session_id, expert_id) DO UPDATE SET
                outcome = excluded.outcome, note = excluded.note, at = excluded.at",
        )
        .bind(session_id)
        .bind(expert_id)
        .bind(enum_name(&wrap_up.outcome))
        .bind(&wrap_up.note)
        .bind(sql_millis(at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn report(&self, since: UnixMillis) -> Result<Vec<ReportRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT s.id, s.topic, s.created_at, s.ended_at, s.end_reason, s.pickup,
                    (SELECT MIN(t.at) FROM session_transitions t
                      WHERE t.session_id = s.id AND t.status = 'active') AS active_at,
                    (SELECT e.username FROM participants p JOIN experts e ON e.id = p.expert_id
                      WHERE p.session_id = s.id AND p.role = 'expert'
                      ORDER BY p.rowid LIMIT 1) AS expert,
                    (SELECT w.outcome FROM participants p JOIN wrap_ups w
                        ON w.session_id = p.session_id AND w.expert_id = p.expert_id
                      WHERE p.session_id = s.id AND p.role = 'expert'
                      ORDER BY p.rowid LIMIT 1) AS outcome,
                    f.solved, f.rating
               FROM sessions s LEFT JOIN feedback f ON f.session_id = s.id
              WHERE s.created_at >= ?
              ORDER BY s.created_at, s.rowid",
        )
        .bind(sql_millis(since))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let opt_millis = |c: &str| -> Result<Option<UnixMillis>, StoreError> {
                    Ok(r.try_get::<Option<i64>, _>(c)?.map(millis))
                };
                Ok(ReportRow {
                    session_id: r.try_get("id")?,
                    topic: r.try_get("topic")?,
                    expert: r.try_get("expert")?,
                    created_at: millis(r.try_get("created_at")?),
                    active_at: opt_millis("active_at")?,
                    ended_at: opt_millis("ended_at")?,
                    end_reason: r
                        .try_get::<Option<String>, _>("end_reason")?
                        .as_deref()
                        .map(parse_enum)
                        .transpose()?,
                    pickup: r.try_get("pickup")?,
                    solved: r.try_get("solved")?,
                    rating: r
                        .try_get::<Option<i64>, _>("rating")?
                        .and_then(|v| u8::try_from(v).ok()),
                    outcome: r
                        .try_get::<Option<String>, _>("outcome")?
                        .as_deref()
                        .map(parse_enum)
                        .transpose()?,
                })
            })
            .collect()
    }

    async fn transitions(
        &self,
        session_id: &str,
    ) -> Result<Vec<(SessionStatus, Option<String>, UnixMillis)>, StoreError> {
        sqlx::query("SELECT status, detail, at FROM session_transitions WHERE session_id = ? ORDER BY rowid")
            .bind(session_id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| Ok((parse_enum(&r.try_get::<String, _>("status")?)?, r.try_get("detail")?, millis(r.try_get("at")?))))
            .collect()
    }
}
