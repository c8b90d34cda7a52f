//! Public exports: every count from 1 to 10 is masked as `<11` (statistical secrecy); shares
//! and amounts are kept. No personal data ever reaches an export (the summaries hold none).

use crate::compute::Stats;
use crate::disclosure::Status;
use crate::publication::{Cell, mask_text};
use crate::refresh::AGE_BAND_LABELS;
use serde_json::{Value as Json, json};
use std::fmt::Write as _;

/// The masked form of a count.
pub const MASK: &str = "<11";

/// A count as published: `<11` when it is between 1 and 10.
pub fn masked(n: i64) -> String {
    if (1..=10).contains(&n) {
        MASK.to_owned()
    } else {
        n.to_string()
    }
}

fn euros(cents: i64) -> Json {
    // Two decimals, as a number.
    #[allow(clippy::cast_precision_loss)]
    let v = cents as f64 / 100.0;
    json!(v)
}

fn rounded(v: Option<f64>, scale: f64) -> Json {
    v.map_or(Json::Null, |v| json!((v * scale).round() / scale))
}

/// The JSON payload of the statistics API. With `mask`, the publication: counts from 1 to 10
/// are `<11`, counts masked by complementary suppression `secret`, shares and means over a
/// masked term `null`, amounts `null` when the sessions are masked (see
/// [`crate::publication`]). Without, every figure in clear (internal use only).
#[allow(clippy::too_many_lines)]
pub fn to_json(s: &Stats, mask: bool) -> Json {
    let c = |key: &str, n: i64| -> Json {
        if !mask {
            return json!(n);
        }
        match s.cell(key, n) {
            Cell::Value(n) => json!(n),
            Cell::Masked(st) => Json::String(mask_text(st).into()),
        }
    };
    let r = |v: Option<f64>, terms: &[(&str, i64)], scale: f64| -> Json {
        rounded(if mask { s.ratio(v, terms) } else { v }, scale)
    };
    let money = |cents: i64| {
        if mask && !s.spend_shown() {
            Json::Null
        } else {
            euros(cents)
        }
    };
    let area = |kind: &str, a: &crate::Area| {
        let k = |f: &str| format!("{kind}:{}:{f}", a.code);
        json!({
            "code": a.code, "nom": a.name, "region": a.region,
            "psychologues_liberaux_ou_mixtes": c(&k("registered_liberal"), a.registered_liberal),
            "psychologues_conventionnes_liberaux_ou_mixtes": c(&k("conventioned_liberal"), a.conventioned_liberal),
            "psychologues_conventionnes": c(&k("conventioned"), a.conventioned),
            "part_conventionnes": r(a.share_conventioned, &[(&k("conventioned_liberal"), a.conventioned_liberal), (&k("registered_liberal"), a.registered_liberal)], 10_000.0),
            "patients": c(&k("patients"), a.patients),
            "seances": c(&k("sessions"), a.sessions),
        })
    };
    let (p, ses) = (
        ("patients", s.patients_since_launch),
        ("sessions", s.sessions),
    );
    json!({
        "date": s.as_of.to_string(),
        "date_demandee": s.requested.to_string(),
        "perimetre": s.scope.code(),
        "perimetre_libelle": s.scope_label,
        "masquage": if mask { MASKING_NOTE } else { "aucun (usage interne)" },
        "secret": if mask { json!(s.secrecy.masked.iter().map(|(k, v)| (k.clone(), json!(match v { Status::Complementary => "complementaire", _ => "primaire" }))).collect::<serde_json::Map<_, _>>()) } else { json!({}) },
        "patients_depuis_lancement": c(p.0, p.1),
        "patients_c2s": c("patients_c2s", s.patients_c2s),
        "part_patients_c2s": r(s.share_patients_c2s, &[("patients_c2s", s.patients_c2s), p], 10_000.0),
        "part_patients_femmes": r(s.share_patients_women, &[("patients_women", s.women()), p], 10_000.0),
        "part_patients_moins_de_25_ans": r(s.share_patients_under_25, &[("patients_under_25", s.under_25()), p], 10_000.0),
        "seances_acceptees": c(ses.0, ses.1),
        "seances_par_acte": { "EEP": c("sessions_eep", s.sessions_eep), "APS": c("sessions_aps", s.sessions_aps), "PSS": c("sessions_pss", s.sessions_pss) },
        "seances_par_patient": r(s.mean_sessions_per_patient, &[ses, p], 100.0),
        "seances_par_patient_et_par_an": r(s.mean_sessions_per_patient_year, &[ses, ("patient_years", s.patient_years)], 100.0),
        "psychologues_conventionnes": c("psychologists_conventioned", s.psychologists_conventioned),
        "psychologues_suspendus": c("psychologists_suspended", s.psychologists_suspended),
        "psychologues_liberaux_ou_mixtes": c("registered_liberal", s.registered_liberal),
        "psychologues_conventionnes_liberaux_ou_mixtes": c("conventioned_liberal", s.conventioned_liberal),
        "part_psychologues_conventionnes": r(s.share_psychologists_conventioned, &[("conventioned_liberal", s.conventioned_liberal), ("registered_liberal", s.registered_liberal)], 10_000.0),
        "conventions_par_mois_3_derniers_mois": r(s.conventions_started_per_month, &[("started_last3", s.started_last3())], 10.0),
        "depenses_euros": {
            "total": money(s.spend.total_cents),
            "amo": money(s.spend.amo_cents),
            "amo_tiers_payant": money(s.spend.amo_tiers_payant_cents),
            "c2s": money(s.spend.c2s_cents),
            "amc": money(s.spend.amc_cents),
            "etat_ame": money(s.spend.state_cents),
            "reste_a_charge": money(s.spend.patient_cents),
        },
        "regions": s.regions.iter().map(|a| area("region", a)).collect::<Vec<_>>(),
        "departements": s.departements.iter().map(|a| area("departement", a)).collect::<Vec<_>>(),
        "mois": s.months.iter().map(|m| {
            let ym = format!("{:04}-{:02}", m.year, m.month);
            json!({
                "mois": ym,
                "conventions_debutees": c(&format!("month:{ym}:conventions_started"), m.conventions_started),
                "seances": c(&format!("month:{ym}:sessions"), m.sessions),
                "nouveaux_patients": c(&format!("month:{ym}:new_patients"), m.new_patients),
            })
        }).collect::<Vec<_>>(),
        "annees": s.years.iter().map(|y| {
            let k = |f: &str| format!("year:{}:{f}", y.year);
            let py = (k("patients"), y.patients);
            let top = (k(&format!("bin:{}", y.ceiling)), y.at_ceiling);
            json!({
                "annee": y.year,
                "patients": c(&py.0, py.1),
                "seances": c(&k("sessions"), y.sessions),
                "seances_par_patient": r(y.mean_sessions, &[(&k("sessions"), y.sessions), (&py.0, py.1)], 100.0),
                "plafond": y.ceiling,
                "repartition": y.distribution.iter().enumerate().map(|(i, n)| json!({"seances": i + 1, "patients": c(&k(&format!("bin:{}", i + 1)), *n)})).collect::<Vec<_>>(),
                "patients_au_plafond": c(&top.0, top.1),
                "part_au_plafond": r(y.share_at_ceiling, &[(&top.0, top.1), (&py.0, py.1)], 10_000.0),
            })
        }).collect::<Vec<_>>(),
        "age_sexe": AGE_BAND_LABELS.iter().enumerate().map(|(i, l)| json!({
            "tranche": l,
            "femmes": c(&format!("women:{i}"), s.demography.women[i]),
            "hommes": c(&format!("men:{i}"), s.demography.men[i]),
        })).collect::<Vec<_>>(),
    })
}

/// What a reader of the exports needs to know about masked cells.
pub const MASKING_NOTE: &str = "chiffres arrêtés en fin de mois ; effectifs de 1 à 10 affichés <11 (secret primaire) ; \
effectifs masqués pour qu’aucun <11 ne puisse être recalculé affichés secret (secret complémentaire) ; \
parts, moyennes et montants dont un terme est masqué non publiés";

fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// The public CSV export, long format: `indicateur,perimetre,periode,modalite,valeur`. Counts
/// are always masked here: `<11` (primary), `secret` (complementary); a share, mean or amount
/// over a masked term is left empty.
#[allow(clippy::too_many_lines)]
pub fn to_csv(s: &Stats) -> String {
    let mut out = String::from("indicateur,perimetre,periode,modalite,valeur\n");
    let scope = s.scope_label.clone();
    let date = s.as_of.to_string();
    let mut row = |ind: &str, scope: &str, period: &str, modality: &str, value: String| {
        let _ = writeln!(
            out,
            "{},{},{},{},{}",
            csv_cell(ind),
            csv_cell(scope),
            csv_cell(period),
            csv_cell(modality),
            csv_cell(&value)
        );
    };
    let c = |key: &str, n: i64| s.cell(key, n).text();
    let fmt = |v: Option<f64>, terms: &[(&str, i64)], decimals: usize| {
        s.ratio(v, terms)
            .map_or(String::new(), |v| format!("{v:.decimals$}"))
    };
    let fmt_cents = |c: i64| {
        if s.spend_shown() {
            format!("{}.{:02}", c / 100, (c % 100).abs())
        } else {
            String::new()
        }
    };
    let p = ("patients", s.patients_since_launch);
    let ses = ("sessions", s.sessions);
    row("patients_depuis_lancement", &scope, &date, "", c(p.0, p.1));
    row(
        "patients_c2s",
        &scope,
        &date,
        "",
        c("patients_c2s", s.patients_c2s),
    );
    row(
        "part_patients_c2s",
        &scope,
        &date,
        "",
        fmt(
            s.share_patients_c2s,
            &[("patients_c2s", s.patients_c2s), p],
            4,
        ),
    );
    row(
        "part_patients_femmes",
        &scope,
        &date,
        "",
        fmt(
            s.share_patients_women,
            &[("patients_women", s.women()), p],
            4,
        ),
    );
    row(
        "part_patients_moins_de_25_ans",
        &scope,
        &date,
        "",
        fmt(
            s.share_patients_under_25,
            &[("patients_under_25", s.under_25()), p],
            4,
        ),
    );
    row("seances_acceptees", &scope, &date, "", c(ses.0, ses.1));
    for (act, key, n) in [
        ("EEP", "sessions_eep", s.sessions_eep),
        ("APS", "sessions_aps", s.sessions_aps),
        ("PSS", "sessions_pss", s.sessions_pss),
    ] {
        row("seances_acceptees", &scope, &date, act, c(key, n));
    }
    row(
        "seances_par_patient",
        &scope,
        &date,
        "",
        fmt(s.mean_sessions_per_patient, &[ses, p], 2),
    );
    row(
        "seances_par_patient_et_par_an",
        &scope,
        &date,
        "",
        fmt(
            s.mean_sessions_per_patient_year,
            &[ses, ("patient_years", s.patient_years)],
            2,
        ),
    );
    for (ind, key, n) in [
        (
            "psychologues_conventionnes",
            "psychologists_conventioned",
            s.psychologists_conventioned,
        ),
        (
            "psychologues_suspendus",
            "psychologists_suspended",
            s.psychologists_suspended,
        ),
        (
            "psychologues_liberaux_ou_mixtes",
            "registered_liberal",
            s.registered_liberal,
        ),
        (
            "psychologues_conventionnes_liberaux_ou_mixtes",
            "conventioned_liberal",
            s.conventioned_liberal,
        ),
    ] {
        row(ind, &scope, &date, "", c(key, n));
    }
    row(
        "part_psychologues_conventionnes",
        &scope,
        &date,
        "",
        fmt(
            s.share_psychologists_conventioned,
            &[
                ("conventioned_liberal", s.conventioned_liberal),
                ("registered_liberal", s.registered_liberal),
            ],
            4,
        ),
    );
    for (payer, cents) in [
        ("total", s.spend.total_cents),
        ("amo", s.spend.amo_cents),
        ("amo_tiers_payant", s.spend.amo_tiers_payant_cents),
        ("c2s", s.spend.c2s_cents),
        ("amc", s.spend.amc_cents),
        ("etat_ame", s.spend.state_cents),
        ("reste_a_charge", s.spend.patient_cents),
    ] {
        row("depenses_euros", &scope, &date, payer, fmt_cents(cents));
    }
    for (kind, list) in [("region", &s.regions), ("departement", &s.departements)] {
        for a in list {
            let zone = format!("{kind}:{} {}", a.code, a.name);
            let k = |f: &str| format!("{kind}:{}:{f}", a.code);
            let (rl, cl) = (k("registered_liberal"), k("conventioned_liberal"));
            row(
                "psychologues_liberaux_ou_mixtes",
                &zone,
                &date,
                "",
                c(&rl, a.registered_liberal),
            );
            row(
                "psychologues_conventionnes_liberaux_ou_mixtes",
                &zone,
                &date,
                "",
                c(&cl, a.conventioned_liberal),
            );
            row(
                "part_psychologues_conventionnes",
                &zone,
                &date,
                "",
                fmt(
                    a.share_conventioned,
                    &[(&cl, a.conventioned_liberal), (&rl, a.registered_liberal)],
                    4,
                ),
            );
            row(
                "patients_depuis_lancement",
                &zone,
                &date,
                "",
                c(&k("patients"), a.patients),
            );
            row(
                "seances_acceptees",
                &zone,
                &date,
                "",
                c(&k("sessions"), a.sessions),
            );
        }
    }
    for m in &s.months {
        let period = format!("{:04}-{:02}", m.year, m.month);
        let k = |f: &str| format!("month:{period}:{f}");
        row(
            "conventions_debutees",
            &scope,
            &period,
            "",
            c(&k("conventions_started"), m.conventions_started),
        );
        row(
            "seances_acceptees",
            &scope,
            &period,
            "",
            c(&k("sessions"), m.sessions),
        );
        row(
            "nouveaux_patients",
            &scope,
            &period,
            "",
            c(&k("new_patients"), m.new_patients),
        );
    }
    for y in &s.years {
        let period = y.year.to_string();
        let k = |f: &str| format!("year:{}:{f}", y.year);
        let py = (k("patients"), y.patients);
        row("patients_de_l_annee", &scope, &period, "", c(&py.0, py.1));
        row(
            "seances_par_patient",
            &scope,
            &period,
            "",
            fmt(
                y.mean_sessions,
                &[(&k("sessions"), y.sessions), (&py.0, py.1)],
                2,
            ),
        );
        for (i, n) in y.distribution.iter().enumerate() {
            row(
                "patients_par_nombre_de_seances",
                &scope,
                &period,
                &format!("{} séance(s)", i + 1),
                c(&k(&format!("bin:{}", i + 1)), *n),
            );
        }
        row(
            "part_patients_au_plafond",
            &scope,
            &period,
            &format!("plafond {}", y.ceiling),
            fmt(
                y.share_at_ceiling,
                &[
                    (&k(&format!("bin:{}", y.ceiling)), y.at_ceiling),
                    (&py.0, py.1),
                ],
                4,
            ),
        );
    }
    for (i, label) in AGE_BAND_LABELS.iter().enumerate() {
        row(
            "patients_depuis_lancement",
            &scope,
            &date,
            &format!("femmes {label}"),
            c(&format!("women:{i}"), s.demography.women[i]),
        );
        row(
            "patients_depuis_lancement",
            &scope,
            &date,
            &format!("hommes {label}"),
            c(&format!("men:{i}"), s.demography.men[i]),
        );
    }
    out
}
