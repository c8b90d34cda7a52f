//! Public exports: every count from 1 to 10 is masked as `<11` (statistical secrecy); shares
//! and amounts are kept. No personal data ever reaches an export (the summaries hold none).

use crate::compute::Stats;
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

fn count(n: i64, mask: bool) -> Json {
    if mask && (1..=10).contains(&n) {
        Json::String(MASK.into())
    } else {
        json!(n)
    }
}

fn euros(cents: i64) -> Json {
    // Two decimals, as a number.
    #[allow(clippy::cast_precision_loss)]
    let v = cents as f64 / 100.0;
    json!(v)
}

fn share(s: Option<f64>) -> Json {
    s.map_or(Json::Null, |v| json!((v * 10_000.0).round() / 10_000.0))
}

/// The JSON payload of the statistics API (counts masked when `mask`).
pub fn to_json(s: &Stats, mask: bool) -> Json {
    let c = |n: i64| count(n, mask);
    let area = |a: &crate::Area| {
        json!({
            "code": a.code, "nom": a.name, "region": a.region,
            "psychologues_liberaux_ou_mixtes": c(a.registered_liberal),
            "psychologues_conventionnes_liberaux_ou_mixtes": c(a.conventioned_liberal),
            "psychologues_conventionnes": c(a.conventioned),
            "part_conventionnes": share(a.share_conventioned),
            "patients": c(a.patients),
            "seances": c(a.sessions),
        })
    };
    json!({
        "date": s.as_of.to_string(),
        "perimetre": s.scope.code(),
        "perimetre_libelle": s.scope_label,
        "masquage": if mask { "effectifs de 1 à 10 affichés <11" } else { "aucun (usage interne)" },
        "patients_depuis_lancement": c(s.patients_since_launch),
        "patients_c2s": c(s.patients_c2s),
        "part_patients_c2s": share(s.share_patients_c2s),
        "part_patients_femmes": share(s.share_patients_women),
        "part_patients_moins_de_25_ans": share(s.share_patients_under_25),
        "seances_acceptees": c(s.sessions),
        "seances_par_acte": { "EEP": c(s.sessions_eep), "APS": c(s.sessions_aps), "PSS": c(s.sessions_pss) },
        "seances_par_patient": s.mean_sessions_per_patient.map(|v| (v * 100.0).round() / 100.0),
        "seances_par_patient_et_par_an": s.mean_sessions_per_patient_year.map(|v| (v * 100.0).round() / 100.0),
        "psychologues_conventionnes": c(s.psychologists_conventioned),
        "psychologues_suspendus": c(s.psychologists_suspended),
        "psychologues_liberaux_ou_mixtes": c(s.registered_liberal),
        "psychologues_conventionnes_liberaux_ou_mixtes": c(s.conventioned_liberal),
        "part_psychologues_conventionnes": share(s.share_psychologists_conventioned),
        "conventions_par_mois_3_derniers_mois": s.conventions_started_per_month.map(|v| (v * 10.0).round() / 10.0),
        "depenses_euros": {
            "total": euros(s.spend.total_cents),
            "amo": euros(s.spend.amo_cents),
            "amo_tiers_payant": euros(s.spend.amo_tiers_payant_cents),
            "c2s": euros(s.spend.c2s_cents),
            "amc": euros(s.spend.amc_cents),
            "etat_ame": euros(s.spend.state_cents),
            "reste_a_charge": euros(s.spend.patient_cents),
        },
        "regions": s.regions.iter().map(area).collect::<Vec<_>>(),
        "departements": s.departements.iter().map(area).collect::<Vec<_>>(),
        "mois": s.months.iter().map(|m| json!({
            "mois": format!("{:04}-{:02}", m.year, m.month),
            "conventions_debutees": c(m.conventions_started),
            "seances": c(m.sessions),
            "nouveaux_patients": c(m.new_patients),
        })).collect::<Vec<_>>(),
        "annees": s.years.iter().map(|y| json!({
            "annee": y.year,
            "patients": c(y.patients),
            "seances": c(y.sessions),
            "seances_par_patient": y.mean_sessions.map(|v| (v * 100.0).round() / 100.0),
            "plafond": y.ceiling,
            "repartition": y.distribution.iter().enumerate().map(|(i, n)| json!({"seances": i + 1, "patients": c(*n)})).collect::<Vec<_>>(),
            "patients_au_plafond": c(y.at_ceiling),
            "part_au_plafond": share(y.share_at_ceiling),
        })).collect::<Vec<_>>(),
        "age_sexe": AGE_BAND_LABELS.iter().enumerate().map(|(i, l)| json!({
            "tranche": l,
            "femmes": c(s.demography.women[i]),
            "hommes": c(s.demography.men[i]),
        })).collect::<Vec<_>>(),
    })
}

fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// The public CSV export, long format: `indicateur,perimetre,periode,modalite,valeur`. Counts
/// are always masked here.
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
    let fmt_share = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:.4}"));
    let fmt_cents = |c: i64| format!("{}.{:02}", c / 100, (c % 100).abs());
    row(
        "patients_depuis_lancement",
        &scope,
        &date,
        "",
        masked(s.patients_since_launch),
    );
    row("patients_c2s", &scope, &date, "", masked(s.patients_c2s));
    row(
        "part_patients_c2s",
        &scope,
        &date,
        "",
        fmt_share(s.share_patients_c2s),
    );
    row(
        "part_patients_femmes",
        &scope,
        &date,
        "",
        fmt_share(s.share_patients_women),
    );
    row(
        "part_patients_moins_de_25_ans",
        &scope,
        &date,
        "",
        fmt_share(s.share_patients_under_25),
    );
    row("seances_acceptees", &scope, &date, "", masked(s.sessions));
    row(
        "seances_acceptees",
        &scope,
        &date,
        "EEP",
        masked(s.sessions_eep),
    );
    row(
        "seances_acceptees",
        &scope,
        &date,
        "APS",
        masked(s.sessions_aps),
    );
    row(
        "seances_acceptees",
        &scope,
        &date,
        "PSS",
        masked(s.sessions_pss),
    );
    row(
        "seances_par_patient",
        &scope,
        &date,
        "",
        s.mean_sessions_per_patient
            .map_or(String::new(), |v| format!("{v:.2}")),
    );
    row(
        "seances_par_patient_et_par_an",
        &scope,
        &date,
        "",
        s.mean_sessions_per_patient_year
            .map_or(String::new(), |v| format!("{v:.2}")),
    );
    row(
        "psychologues_conventionnes",
        &scope,
        &date,
        "",
        masked(s.psychologists_conventioned),
    );
    row(
        "psychologues_suspendus",
        &scope,
        &date,
        "",
        masked(s.psychologists_suspended),
    );
    row(
        "psychologues_liberaux_ou_mixtes",
        &scope,
        &date,
        "",
        masked(s.registered_liberal),
    );
    row(
        "psychologues_conventionnes_liberaux_ou_mixtes",
        &scope,
        &date,
        "",
        masked(s.conventioned_liberal),
    );
    row(
        "part_psychologues_conventionnes",
        &scope,
        &date,
        "",
        fmt_share(s.share_psychologists_conventioned),
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
            row(
                "psychologues_liberaux_ou_mixtes",
                &zone,
                &date,
                "",
                masked(a.registered_liberal),
            );
            row(
                "psychologues_conventionnes_liberaux_ou_mixtes",
                &zone,
                &date,
                "",
                masked(a.conventioned_liberal),
            );
            row(
                "part_psychologues_conventionnes",
                &zone,
                &date,
                "",
                fmt_share(a.share_conventioned),
            );
            row(
                "patients_depuis_lancement",
                &zone,
                &date,
                "",
                masked(a.patients),
            );
            row("seances_acceptees", &zone, &date, "", masked(a.sessions));
        }
    }
    for m in &s.months {
        let period = format!("{:04}-{:02}", m.year, m.month);
        row(
            "conventions_debutees",
            &scope,
            &period,
            "",
            masked(m.conventions_started),
        );
        row("seances_acceptees", &scope, &period, "", masked(m.sessions));
        row(
            "nouveaux_patients",
            &scope,
            &period,
            "",
            masked(m.new_patients),
        );
    }
    for y in &s.years {
        let period = y.year.to_string();
        row(
            "patients_de_l_annee",
            &scope,
            &period,
            "",
            masked(y.patients),
        );
        row(
            "seances_par_patient",
            &scope,
            &period,
            "",
            y.mean_sessions.map_or(String::new(), |v| format!("{v:.2}")),
        );
        for (i, n) in y.distribution.iter().enumerate() {
            row(
                "patients_par_nombre_de_seances",
                &scope,
                &period,
                &format!("{} séance(s)", i + 1),
                masked(*n),
            );
        }
        row(
            "part_patients_au_plafond",
            &scope,
            &period,
            &format!("plafond {}", y.ceiling),
            fmt_share(y.share_at_ceiling),
        );
    }
    for (i, label) in AGE_BAND_LABELS.iter().enumerate() {
        row(
            "patients_depuis_lancement",
            &scope,
            &date,
            &format!("femmes {label}"),
            masked(s.demography.women[i]),
        );
        row(
            "patients_depuis_lancement",
            &scope,
            &date,
            &format!("hommes {label}"),
            masked(s.demography.men[i]),
        );
    }
    out
}
