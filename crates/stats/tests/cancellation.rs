//! Cancelling sessions recorded by mistake (issue 6), on both engines: the refusals, the
//! ledger freed, the audit line, and summaries that end up exactly as if the cancelled
//! sessions had never been accepted (compared with a rebuild from the claims).

mod common;

use common::summaries;
use jiff::civil::{Date, date};
use msp_domain::fixtures::{nir, rpps};
use msp_domain::*;
use msp_stats::refresh;
use msp_store::pathway::{self, CancelFailure, Canceller, Consents};
use msp_store::{Db, Value, live, reference, testing};

const PSY_ACCOUNT: i64 = 10;
const OTHER_ACCOUNT: i64 = 11;

fn person(n: u32, birth: Date, sex: Sex, commune: &str) -> Beneficiary {
    Beneficiary {
        nir: nir(n),
        birth_date: birth,
        sex,
        regime: InsuranceRegime::General,
        rights: Some(Period::new(date(2000, 1, 1), None)),
        ame: None,
        c2s: None,
        amc_id: None,
        noemie: false,
        commune_insee: Some(commune.into()),
        exclusions: vec![],
    }
}

fn claim(id: &str, patient: u32, day: Date, act: Act) -> Claim {
    Claim {
        claim_id: id.into(),
        received_date: day,
        rpps: rpps(1),
        nir: nir(patient),
        session_date: day,
        act,
        amount: Cents(5000),
        context: ClaimContext::Maladie,
        tiers_payant: true,
        referral: None,
    }
}

fn record(db: &mut Db, id: &str, patient: u32, day: Date, act: Act) -> Decision {
    let consents = Consents {
        patient: true,
        parental: false,
        report_to_gp: false,
        inclusion: Some(InclusionCriterion::Anxiety),
    };
    pathway::record_session(
        db,
        &Rules::standard(),
        jiff::Timestamp::UNIX_EPOCH,
        &claim(id, patient, day, act),
        PSY_ACCOUNT,
        consents,
    )
    .unwrap()
}

fn cancel(
    db: &mut Db,
    id: &str,
    account: i64,
    cpam: bool,
) -> Result<pathway::Cancelled, CancelFailure> {
    let by = Canceller {
        account_id: account,
        actor: "psy@example.org (psychologue)",
        is_cpam_agent: cpam,
    };
    pathway::cancel_session(
        db,
        id,
        by,
        "erreur de saisie",
        jiff::Timestamp::UNIX_EPOCH,
        &mut |tx, c| refresh::unfold_cancelled(tx, &c.claim_id),
    )
    .unwrap()
}

fn count(db: &mut Db, sql: &str, params: &[Value]) -> i64 {
    db.query_one(sql, params).unwrap().int(0).unwrap()
}

#[test]
fn cancelled_sessions_free_the_ledger_and_leave_the_statistics() {
    let rules = Rules::standard();
    for t in testing::all() {
        let mut db = t.connect();
        let db = &mut db;
        reference::upsert_conventions(
            db,
            &[Convention {
                rpps: rpps(1),
                cpam: "751".into(),
                period: Period::new(date(2022, 1, 1), None),
            }],
        )
        .unwrap();
        reference::upsert_beneficiaries(
            db,
            &[
                person(1, date(1990, 3, 4), Sex::Female, "69123"),
                person(2, date(2010, 6, 1), Sex::Male, "75056"),
                person(3, date(1950, 1, 1), Sex::Male, "13055"),
            ],
        )
        .unwrap();

        // Patient 1: one session in 2025, then an EEP and an APS in 2026; patient 2: one EEP.
        assert!(record(db, "p1-2025", 1, date(2025, 12, 1), Act::Eep).is_accepted());
        refresh::refresh(db).unwrap();
        assert!(record(db, "p1-eep", 1, date(2026, 1, 5), Act::Eep).is_accepted());
        assert!(record(db, "p1-aps", 1, date(2026, 1, 12), Act::Aps).is_accepted());
        assert!(record(db, "p2-eep", 2, date(2026, 2, 2), Act::Eep).is_accepted());
        // A rejected claim (second session the same day) counts for nothing.
        assert!(!record(db, "p2-same", 2, date(2026, 2, 2), Act::Aps).is_accepted());
        refresh::refresh(db).unwrap();
        // Patient 3's session is in a batch not summarised yet when it is cancelled.
        assert!(record(db, "p3-eep", 3, date(2026, 3, 2), Act::Eep).is_accepted());
        let before = summaries(db);

        // Refusals change nothing.
        let refused = |r: Result<pathway::Cancelled, CancelFailure>| r.unwrap_err();
        assert_eq!(
            refused(cancel(db, "p1-eep", PSY_ACCOUNT, false)),
            CancelFailure::Refused(CancelRefusal::NotLatest { rank: 1, latest: 2 }),
            "{}",
            t.label
        );
        assert_eq!(
            refused(cancel(db, "p1-aps", OTHER_ACCOUNT, false)),
            CancelFailure::NotYours
        );
        assert_eq!(
            refused(cancel(db, "inconnue", PSY_ACCOUNT, false)),
            CancelFailure::NotFound
        );
        assert_eq!(
            refused(cancel(db, "p2-same", PSY_ACCOUNT, false)),
            CancelFailure::Refused(CancelRefusal::Rejected)
        );
        assert_eq!(
            summaries(db),
            before,
            "{}: a refusal leaves the summaries",
            t.label
        );
        assert_eq!(
            count(
                db,
                "SELECT COUNT(*) FROM claims WHERE status = 'cancelled'",
                &[]
            ),
            0
        );

        // Newest first: the APS, then the EEP (by a CPAM agent); the 2025 session; patient 2's
        // only session; patient 3's session not summarised yet.
        let aps = cancel(db, "p1-aps", PSY_ACCOUNT, false).unwrap();
        assert_eq!(
            (aps.year.accepted, aps.year.first_eep),
            (1, Some(date(2026, 1, 5)))
        );
        assert_eq!(
            refused(cancel(db, "p1-aps", PSY_ACCOUNT, false)),
            CancelFailure::Refused(CancelRefusal::AlreadyCancelled)
        );
        let eep = cancel(db, "p1-eep", OTHER_ACCOUNT, true).unwrap();
        assert_eq!((eep.year.accepted, eep.year.first_eep), (0, None));
        cancel(db, "p1-2025", PSY_ACCOUNT, false).unwrap();
        cancel(db, "p2-eep", PSY_ACCOUNT, false).unwrap();
        cancel(db, "p3-eep", PSY_ACCOUNT, false).unwrap();
        refresh::refresh(db).unwrap();

        // The ledger is freed: patient 1 owes an EEP again and the day can be recorded again.
        let standing = live::year_standing(db, &rules, &nir(1), date(2026, 1, 20)).unwrap();
        assert_eq!(
            (standing.used, standing.remaining, standing.eep_due),
            (0, 12, true)
        );
        assert!(record(db, "p1-again", 1, date(2026, 1, 12), Act::Eep).is_accepted());
        assert_eq!(
            count(
                db,
                "SELECT COUNT(*) FROM accepted_sessions WHERE nir = $1",
                &[nir(1).as_str().into()]
            ),
            1
        );
        refresh::refresh(db).unwrap();

        let line = pathway::get_session(db, "p1-aps").unwrap().unwrap();
        assert!(line.cancelled && line.decision.is_accepted() && line.paid().is_none());
        let why = pathway::cancellation(db, "p1-aps").unwrap().unwrap();
        assert_eq!(why.motive, "erreur de saisie");
        assert_eq!(
            count(
                db,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'annulation' AND subject_kind = 'seance'",
                &[]
            ),
            5
        );

        // The summaries kept in step equal those rebuilt from the claims.
        let incremental = summaries(db);
        assert!(
            incremental
                .iter()
                .any(|l| l.starts_with("patient ") && l.contains("2026-01-12")),
            "{}: patient 1 now starts on the new session: {incremental:#?}",
            t.label
        );
        assert!(
            !incremental.iter().any(|l| l.contains(nir(2).as_str())),
            "{}",
            t.label
        );
        refresh::reset(db).unwrap();
        refresh::refresh(db).unwrap();
        assert_eq!(incremental, summaries(db), "{}", t.label);
    }
}
