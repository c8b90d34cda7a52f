//! Pure rules of the Mon soutien psy programme.
//!
//! Everything here is deterministic and free of I/O: no clock, no files, no database. Callers
//! parse their inputs into these types at the edge, pass "today" explicitly, and record what the
//! engine decides.

pub mod adjudication;
pub mod beneficiary;
pub mod cancellation;
pub mod claim;
pub mod dates;
pub mod decision;
pub mod enrolment;
pub mod fixtures;
pub mod french;
pub mod ids;
pub mod inclusion;
pub mod ledger;
pub mod money;
pub mod psychologist;
pub mod records;
pub mod referral;
pub mod roles;
pub mod rules;
pub mod session;

pub use adjudication::{
    BatchDecisions, Facts, FactsMap, judge, judge_batch, judge_batch_marked, judge_batch_refs,
};
pub use beneficiary::{Beneficiary, InsuranceRegime, Sex};
pub use cancellation::{CancelRefusal, ClaimState};
pub use claim::{Act, Claim, ClaimContext, Referral, ReferrerKind};
pub use dates::{Date, Period};
pub use decision::{AmcRoute, AmoPayee, ComplementaryPayer, Decision, Payment, Reason};
pub use ids::{Adeli, IdError, Nir, Rpps, Siret};
pub use inclusion::InclusionCriterion;
pub use ledger::{AcceptedSession, Ledger, PatientHistory, YearCounter};
pub use money::{Cents, MoneyError};
pub use psychologist::PsychologistRights;
pub use records::{Convention, Exclusion, PracticeMode, RegistryEntry, Suspension};
pub use roles::Role;
pub use rules::{Regime, Rules, RulesError};
pub use session::{CheckedSession, InputError, SessionInput, YearSummary};

/// Hash map with a fast, non-cryptographic hasher: the keys (NIR, RPPS, claim ids) come from
/// the insurer's own files, and hashing dominates batch judging with the default hasher.
pub type FastMap<K, V> = rustc_hash::FxHashMap<K, V>;
/// Hash set companion of [`FastMap`].
pub type FastSet<K> = rustc_hash::FxHashSet<K>;
