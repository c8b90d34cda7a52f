//! Claims adjudication (SPEC §7): the ordered checks, the amounts, and batch ordering.

use crate::FastMap;
use crate::{
    AcceptedSession, Act, AmcRoute, AmoPayee, Beneficiary, Claim, ComplementaryPayer, Decision,
    InsuranceRegime, Ledger, Nir, PatientHistory, Payment, PsychologistRights, Reason, Regime,
    Rpps, Rules, dates,
};

/// Reference facts adjudication reads: psychologists' conventions and beneficiaries' rights.
pub trait Facts {
    fn psychologist(&self, rpps: Rpps) -> Option<&PsychologistRights>;
    fn beneficiary(&self, nir: &Nir) -> Option<&Beneficiary>;
}

/// Facts held in memory, as loaded for a batch.
#[derive(Debug, Clone, Default)]
pub struct FactsMap {
    pub psychologists: FastMap<Rpps, PsychologistRights>,
    pub beneficiaries: FastMap<Nir, Beneficiary>,
}

impl Facts for FactsMap {
    fn psychologist(&self, rpps: Rpps) -> Option<&PsychologistRights> {
        self.psychologists.get(&rpps)
    }
    fn beneficiary(&self, nir: &Nir) -> Option<&Beneficiary> {
        self.beneficiaries.get(nir)
    }
}

/// Judges one claim against the facts and the ledger; an accepted claim is recorded in the
/// ledger, so the next claim sees it.
pub fn judge(rules: &Rules, facts: &impl Facts, ledger: &mut Ledger, claim: &Claim) -> Decision {
    let beneficiary = facts.beneficiary(&claim.nir);
    let history = ledger.patients.entry(claim.nir).or_default();
    decide(
        rules,
        facts.psychologist(claim.rpps),
        beneficiary,
        history,
        claim,
    )
}

/// Judges a claim of a patient whose facts and history the caller has already looked up.
fn decide(
    rules: &Rules,
    psychologist: Option<&PsychologistRights>,
    beneficiary: Option<&Beneficiary>,
    history: &mut PatientHistory,
    claim: &Claim,
) -> Decision {
    match check(rules, psychologist, beneficiary, history, claim) {
        Err(reason) => Decision::Rejected(reason),
        Ok((regime, beneficiary)) => {
            let session = AcceptedSession {
                date: claim.session_date,
                rpps: claim.rpps,
                act: claim.act,
            };
            let rank = history.record(session);
            Decision::Accepted(pay(rules, regime, beneficiary, claim, rank))
        }
    }
}

/// The checks of SPEC §7 in their order; the first failing one decides.
fn check<'a>(
    rules: &'a Rules,
    psychologist: Option<&PsychologistRights>,
    beneficiary: Option<&'a Beneficiary>,
    history: &PatientHistory,
    claim: &Claim,
) -> Result<(&'a Regime, &'a Beneficiary), Reason> {
    let day = claim.session_date;
    let same_day = || history.accepted_on(day);

    if same_day().any(|s| s.rpps == claim.rpps && s.act == claim.act) {
        return Err(Reason::Doublon);
    }
    if day > claim.received_date {
        return Err(Reason::DateInvalide);
    }
    let regime = rules.regime_on(day).ok_or(Reason::HorsDispositif)?;
    if claim.received_date > rules.limitation_deadline(day) {
        return Err(Reason::Forclos);
    }
    if !psychologist.is_some_and(|p| p.is_conventioned(day)) {
        return Err(Reason::PsyNonConventionne);
    }
    let beneficiary = beneficiary
        .filter(|b| b.is_covered(day))
        .ok_or(Reason::DroitsFermes)?;
    if beneficiary.age_on(day) < rules.minimum_age_years {
        return Err(Reason::Age);
    }
    if beneficiary.is_excluded(day) {
        return Err(Reason::Exclu);
    }
    if claim.amount != regime.tariff(claim.act) {
        return Err(Reason::Tarif);
    }
    if regime.referral_required && claim.act == Act::Eep && !referral_valid(rules, regime, claim) {
        return Err(Reason::Adressage);
    }
    if same_day().next().is_some() {
        return Err(Reason::MemeJour);
    }
    let year = history.year(day.year());
    match claim.act {
        Act::Eep if rules.one_eep_per_year && year.first_eep.is_some() => {
            return Err(Reason::EepDejaFacturee);
        }
        Act::Aps | Act::Pss
            if rules.first_session_must_be_eep && year.first_eep.is_none_or(|d| d >= day) =>
        {
            return Err(Reason::EepManquante);
        }
        _ => {}
    }
    if year.accepted >= regime.sessions_per_year {
        return Err(Reason::Plafond);
    }
    Ok((regime, beneficiary))
}

fn referral_valid(rules: &Rules, regime: &Regime, claim: &Claim) -> bool {
    let Some(letter) = &claim.referral else {
        return false;
    };
    let earliest = dates::minus_months(claim.session_date, rules.referral_validity_months);
    letter.date <= claim.session_date
        && letter.date >= earliest
        && letter
            .kind
            .is_some_and(|k| regime.referrer_allowed(k, claim.session_date))
}

/// Amounts, payees and routes of an accepted claim (SPEC §7).
fn pay(rules: &Rules, regime: &Regime, who: &Beneficiary, claim: &Claim, rank: u32) -> Payment {
    let day = claim.session_date;
    let tariff = regime.tariff(claim.act);
    let zero = crate::Cents::ZERO;
    if who.has_ame(day) {
        return Payment {
            rank,
            tariff,
            amo: zero,
            amo_payee: AmoPayee::None,
            complementary: zero,
            complementary_payer: ComplementaryPayer::None,
            complementary_route: AmcRoute::None,
            state: tariff,
            patient: zero,
        };
    }
    let rate = if claim.context.is_full_cover() {
        rules.amo_rate_full_cover_percent
    } else if who.regime == InsuranceRegime::AlsaceMoselle {
        rules.amo_rate_alsace_moselle_percent
    } else {
        rules.amo_rate_percent
    };
    let amo = tariff.percent_half_up(rate);
    let tm = tariff - amo;
    let c2s = who.has_c2s(day);
    let (payer, route) = if tm == zero {
        (ComplementaryPayer::None, AmcRoute::None)
    } else if c2s {
        (ComplementaryPayer::C2s, AmcRoute::TiersPayant)
    } else if who.amc_id.is_some() {
        (
            ComplementaryPayer::Amc,
            if who.noemie {
                AmcRoute::Noemie
            } else {
                AmcRoute::Decompte
            },
        )
    } else {
        (ComplementaryPayer::None, AmcRoute::None)
    };
    let (complementary, patient) = if payer == ComplementaryPayer::None {
        (zero, tm)
    } else {
        (tm, zero)
    };
    let amo_payee = if amo == zero {
        AmoPayee::None
    } else if c2s
        || claim.context.is_full_cover()
        || regime.amo_tiers_payant_mandatory
        || claim.tiers_payant
    {
        AmoPayee::Psychologue
    } else {
        AmoPayee::Assure
    };
    Payment {
        rank,
        tariff,
        amo,
        amo_payee,
        complementary,
        complementary_payer: payer,
        complementary_route: route,
        state: zero,
        patient,
    }
}

/// Judges a batch: claims are taken in order of (session date, received date, claim id); a
/// claim id repeated inside the batch is not a new claim and gets the decision of its first
/// occurrence. Returns one decision per input claim, in input order.
pub fn judge_batch(
    rules: &Rules,
    facts: &impl Facts,
    ledger: &mut Ledger,
    claims: &[Claim],
) -> Vec<Decision> {
    let refs: Vec<&Claim> = claims.iter().collect();
    judge_batch_refs(rules, facts, ledger, &refs)
}

/// [`judge_batch`] over borrowed claims, so callers need not copy the claims they select.
pub fn judge_batch_refs(
    rules: &Rules,
    facts: &impl Facts,
    ledger: &mut Ledger,
    claims: &[&Claim],
) -> Vec<Decision> {
    judge_batch_marked(rules, facts, ledger, claims).decisions
}

/// A judged batch: one decision per input claim, in input order, and which claims are the
/// first occurrence of their id in the batch (the others repeat its decision).
#[derive(Debug, Clone, Default)]
pub struct BatchDecisions {
    pub decisions: Vec<Decision>,
    pub first: Vec<bool>,
}

/// [`judge_batch_refs`], also telling which claims are the first of their id, so that callers
/// writing the batch need not find the repeated ids a second time.
///
/// Patients never affect one another (every check of SPEC §7 reads one patient's own history),
/// so judging patient by patient, each in (session date, received date, claim id) order, gives
/// exactly the decisions of the global order while looking each patient up once.
pub fn judge_batch_marked(
    rules: &Rules,
    facts: &impl Facts,
    ledger: &mut Ledger,
    claims: &[&Claim],
) -> BatchDecisions {
    let mut first_of: FastMap<&str, u32> = FastMap::default();
    first_of.reserve(claims.len());
    let mut order: Vec<(Nir, u64, u32)> = Vec::with_capacity(claims.len());
    let mut first = vec![true; claims.len()];
    // (repeat, first occurrence): rare, so kept apart rather than one slot per claim.
    let mut repeats: Vec<(u32, u32)> = Vec::new();
    for (i, c) in claims.iter().enumerate() {
        let i = u32::try_from(i).expect("a batch holds fewer than 4 billion claims");
        match first_of.get(c.claim_id.as_str()) {
            Some(&f) => {
                repeats.push((i, f));
                first[i as usize] = false;
            }
            None => {
                first_of.insert(&c.claim_id, i);
                order.push((c.nir, day_key(c.session_date, c.received_date), i));
            }
        }
    }
    drop(first_of);
    // Sort by patient and dates on packed keys, then break the remaining ties by claim id.
    order.sort_unstable_by(|a, b| {
        (a.0, a.1).cmp(&(b.0, b.1)).then_with(|| {
            claims[a.2 as usize]
                .claim_id
                .cmp(&claims[b.2 as usize].claim_id)
        })
    });
    let mut decisions: Vec<Option<Decision>> = vec![None; claims.len()];
    for run in order.chunk_by(|a, b| a.0 == b.0) {
        let nir = run[0].0;
        let beneficiary = facts.beneficiary(&nir);
        let history = ledger.patients.entry(nir).or_default();
        for &(_, _, i) in run {
            let claim = claims[i as usize];
            decisions[i as usize] = Some(decide(
                rules,
                facts.psychologist(claim.rpps),
                beneficiary,
                history,
                claim,
            ));
        }
    }
    drop(order);
    for (i, f) in repeats {
        decisions[i as usize] = decisions[f as usize];
    }
    let decisions = decisions
        .into_iter()
        .map(|d| d.expect("every claim is judged or repeats a judged one"))
        .collect();
    BatchDecisions { decisions, first }
}

/// Session date then received date, packed so that integer order is date order.
fn day_key(session: crate::Date, received: crate::Date) -> u64 {
    let pack = |d: crate::Date| -> u64 {
        let year = u64::from((i32::from(d.year()) + 32_768).unsigned_abs());
        (year << 9) | (u64::from(d.month().unsigned_abs()) << 5) | u64::from(d.day().unsigned_abs())
    };
    (pack(session) << 32) | pack(received)
}
