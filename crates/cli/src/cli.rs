//! Command-line contract (SPEC §8). Exit status: 0 all rows read; 2 some rows unreadable (the
//! others were processed); 1 nothing was done (fatal error, message on stderr).

use crate::commands;
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "msp",
    version,
    about = "Système d'information du dispositif Mon soutien psy"
)]
pub struct Cli {
    /// Base de données : sqlite://CHEMIN (par défaut sqlite://msp.db) ou postgres://…
    #[arg(long, env = "MSP_DB", default_value = msp_store::DEFAULT_DB_URL, global = true)]
    pub db: String,
    /// Fichier de règles datées (par défaut, les règles livrées : rules/regimes.toml).
    #[arg(long, env = "MSP_RULES", global = true)]
    pub rules: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, ValueEnum, Debug)]
pub enum ImportKind {
    Registry,
    Conventions,
    Suspensions,
    Beneficiaries,
    Exclusions,
    /// Extraction publique RPPS de l'Annuaire Santé (PS_LibreAcces_Personne_activite_*.txt).
    RppsExtract,
}

#[derive(Subcommand)]
pub enum Command {
    /// Importe un fichier de référence (ré-importer le même fichier ne change rien).
    Import {
        kind: ImportKind,
        file: PathBuf,
        /// Rapport des lignes illisibles (line,column,message) ; sinon sur la sortie d'erreur.
        #[arg(long)]
        errors: Option<PathBuf>,
    },
    /// Juge un lot de demandes de remboursement (claims.csv).
    Adjudicate {
        claims: PathBuf,
        /// Fichier des décisions ; sinon sur la sortie standard.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Rapport des lignes illisibles (line,column,message) ; sinon sur la sortie d'erreur.
        #[arg(long)]
        errors: Option<PathBuf>,
    },
    /// Lance le serveur web (annuaire, API JSON, FHIR).
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: std::net::SocketAddr,
        /// Ne pas charger de données de démonstration dans une base vide.
        #[arg(long)]
        no_demo: bool,
    },
    /// Sans option : importe les fichiers d'exemple livrés et juge leur lot. Avec --size :
    /// génère une démonstration déterministe (jusqu'à l'échelle nationale) et la fait passer
    /// par l'import et le jugement réels, lot par lot (un lot par mois de réception).
    Demo {
        /// samples (fichiers d'exemple), small, medium ou national.
        #[arg(long, default_value = "samples")]
        size: String,
        #[arg(long, default_value_t = 2022)]
        seed: u64,
        /// Le « jour » de la démonstration (par défaut aujourd'hui) : rien n'est reçu après.
        #[arg(long)]
        as_of: Option<jiff::civil::Date>,
    },
    /// Comptes de démonstration, un par rôle, rattachés aux fichiers d'exemple (importés au
    /// besoin) : pour essayer l'espace professionnel. Refusé sur une base qui contient d'autres
    /// comptes. Mot de passe commun : MSP_DEMO_PASSWORD, sinon tiré au hasard et affiché.
    #[command(name = "demo-comptes", alias = "demo-accounts")]
    DemoComptes,
    /// Statistiques (SPEC §11) à une date, pour la France, une région ou un département.
    /// Les effectifs de 1 à 10 sont masqués (<11). Les analystes d'une ARS n'auront accès
    /// qu'à leur région quand les comptes existeront ; le périmètre est déjà un paramètre.
    Stats {
        /// Date d'observation (par défaut aujourd'hui).
        #[arg(long)]
        as_of: Option<jiff::civil::Date>,
        #[arg(long, value_enum, default_value = "json")]
        format: commands::stats::Format,
        /// france, region:CODE (ex. region:84) ou departement:CODE (ex. departement:69).
        #[arg(long, default_value = "france")]
        scope: String,
        /// Effectifs non masqués (usage interne uniquement, jamais pour une publication).
        #[arg(long)]
        unmasked: bool,
    },
    /// Chiffres publiés (data/published_figures.csv) à côté des mêmes chiffres calculés.
    #[command(alias = "published")]
    Compare {
        /// text (tableau lisible), json ou csv.
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// Génère des fichiers d'entrée synthétiques réalistes (déterministes pour une graine).
    Synth {
        #[arg(long, default_value_t = 42)]
        seed: u64,
        #[arg(long, default_value_t = 2_000)]
        psychologists: usize,
        #[arg(long, default_value_t = 300_000)]
        patients: usize,
        #[arg(long, default_value_t = 2_000_000)]
        claims: usize,
        #[arg(long)]
        out: PathBuf,
    },
    /// Crée un compte administrateur (le premier, ou un de plus). Le mot de passe est lu dans
    /// MSP_ADMIN_PASSWORD, sinon sur l'entrée standard (une ligne).
    CreateAdmin {
        #[arg(long)]
        email: String,
        /// Nom affiché (par défaut : l'adresse).
        #[arg(long)]
        name: Option<String>,
    },
    /// Refuse les candidatures restées sans décision 4 mois après le dossier complet (le
    /// serveur le fait aussi toutes les heures).
    ExpireApplications {
        /// Date du jour à retenir (par défaut aujourd'hui).
        #[arg(long)]
        as_of: Option<jiff::civil::Date>,
    },
    /// Mesure le débit de bout en bout (CSV → jugement → enregistrement → décisions) et du moteur seul.
    Bench {
        /// Répertoire produit par `msp synth`.
        input: PathBuf,
    },
}

pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let rules = match load_rules(cli.rules.as_deref()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("erreur : {e}");
            return ExitCode::from(1);
        }
    };
    let result = match cli.command {
        Command::Import { kind, file, errors } => {
            commands::import::run(&cli.db, kind, &file, errors.as_deref())
        }
        Command::Adjudicate {
            claims,
            out,
            errors,
        } => commands::adjudicate::run(&cli.db, &rules, &claims, out.as_deref(), errors.as_deref()),
        // Only a rules file given explicitly reaches the server; otherwise it keeps its default.
        Command::Serve { addr, no_demo } => commands::serve::run(
            &cli.db,
            addr,
            !no_demo,
            cli.rules.is_some().then_some(rules),
        ),
        Command::Demo { size, seed, as_of } => match size.as_str() {
            "samples" | "exemples" => commands::demo::run(&cli.db, &rules),
            other => match msp_stats::demo::Size::parse(other) {
                Some(size) => commands::stats::demo(&cli.db, &rules, size, seed, as_of),
                None => Err(anyhow::anyhow!(
                    "taille « {other} » inconnue : samples, small, medium ou national"
                )),
            },
        },
        Command::DemoComptes => commands::demo_accounts::run(&cli.db, &rules),
        Command::Stats {
            as_of,
            format,
            scope,
            unmasked,
        } => commands::stats::run(&cli.db, &rules, as_of, format, &scope, unmasked),
        Command::Compare { format } => match format.as_str() {
            "json" => commands::stats::compare(&cli.db, &rules, commands::stats::Format::Json),
            "csv" => commands::stats::compare(&cli.db, &rules, commands::stats::Format::Csv),
            _ => commands::stats::compare_text(&cli.db, &rules),
        },
        Command::Synth {
            seed,
            psychologists,
            patients,
            claims,
            out,
        } => commands::synth::run(seed, psychologists, patients, claims, &out),
        Command::CreateAdmin { email, name } => {
            commands::accounts::create_admin(&cli.db, &email, name.as_deref())
        }
        Command::ExpireApplications { as_of } => commands::accounts::expire(&cli.db, as_of),
        Command::Bench { input } => commands::bench::run(&cli.db, &rules, &input),
    };
    match result {
        Ok(Outcome::Complete) => ExitCode::SUCCESS,
        Ok(Outcome::SomeRowsUnreadable) => ExitCode::from(2),
        Err(e) => {
            eprintln!("erreur : {e:#}");
            ExitCode::from(1)
        }
    }
}

/// How a command that reads rows ended (errors are fatal and reported separately).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Complete,
    SomeRowsUnreadable,
}

pub(crate) fn load_rules(path: Option<&std::path::Path>) -> anyhow::Result<msp_domain::Rules> {
    match path {
        None => Ok(msp_domain::Rules::standard()),
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .map_err(|e| anyhow::anyhow!("règles {} : {e}", p.display()))?;
            Ok(msp_domain::Rules::from_toml(&text)?)
        }
    }
}
