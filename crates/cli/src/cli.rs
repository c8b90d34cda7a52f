//! Command-line contract (SPEC §8). Exit status: 0 all rows read; 2 some rows unreadable (the
//! others were processed); 1 nothing was done (fatal error, message on stderr). A usage error
//! (unknown option, bad value) is a case of « nothing was done »: status 1, never 2, which SPEC
//! §8 reserves for unreadable rows. Help, usage and errors are in French ([`crate::french_cli`]).

use crate::commands;
use clap::{ArgAction, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "msp",
    version,
    about = "Système d’information du dispositif Mon soutien psy",
    disable_help_flag = true,
    disable_version_flag = true,
    disable_help_subcommand = true,
    subcommand_value_name = "COMMANDE"
)]
pub struct Cli {
    /// Base de données : sqlite://CHEMIN ou postgres://…
    #[arg(long, env = "MSP_DB", default_value = msp_store::DEFAULT_DB_URL, global = true, value_name = "URL")]
    pub db: String,
    /// Fichier de règles datées (par défaut, les règles livrées : rules/regimes.toml).
    #[arg(long, env = "MSP_RULES", global = true, value_name = "FICHIER")]
    pub rules: Option<PathBuf>,
    /// Affiche cette aide (aussi --help).
    #[arg(short = 'h', long = "aide", alias = "help", action = ArgAction::Help, global = true)]
    pub aide: Option<bool>,
    /// Affiche la version.
    #[arg(short = 'V', long = "version", action = ArgAction::Version)]
    pub version: Option<bool>,
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
    /// Extraction publique RPPS de l’Annuaire Santé (PS_LibreAcces_Personne_activite_*.txt).
    RppsExtract,
}

#[derive(Subcommand)]
pub enum Command {
    /// Importe un fichier de référence (ré-importer le même fichier ne change rien).
    Import {
        /// Type de fichier.
        #[arg(value_name = "TYPE")]
        kind: ImportKind,
        /// Fichier à importer (CSV de la SPEC §8, ou extraction RPPS).
        #[arg(value_name = "FICHIER")]
        file: PathBuf,
        /// Rapport des lignes illisibles (line,column,message) ; sinon sur la sortie d’erreur.
        #[arg(long, value_name = "FICHIER")]
        errors: Option<PathBuf>,
    },
    /// Juge un lot de demandes de remboursement (claims.csv).
    Adjudicate {
        /// Fichier des demandes (claims.csv).
        #[arg(value_name = "DEMANDES")]
        claims: PathBuf,
        /// Fichier des décisions ; sinon sur la sortie standard. Vérifié avant le jugement.
        #[arg(long, value_name = "FICHIER")]
        out: Option<PathBuf>,
        /// Rapport des lignes illisibles (line,column,message) ; sinon sur la sortie d’erreur.
        #[arg(long, value_name = "FICHIER")]
        errors: Option<PathBuf>,
    },
    /// Lance le serveur web (annuaire, API JSON, FHIR). Une base vide (ni registre, ni
    /// convention, ni fiche, ni bénéficiaire, ni demande, ni séance, ni compte) reçoit un
    /// annuaire de démonstration, après l’ouverture du port ; une base déjà utilisée, jamais.
    Serve {
        /// Adresse IP et port d’écoute.
        #[arg(long, env = "MSP_ADDR", default_value = "127.0.0.1:8080", value_name = "IP:PORT", value_parser = crate::french_cli::socket_addr)]
        addr: std::net::SocketAddr,
        /// Ne pas charger l’annuaire de démonstration, même dans une base vide.
        #[arg(long, env = "MSP_NO_DEMO")]
        no_demo: bool,
        /// Format du journal sur la sortie d’erreur : text (lisible) ou json (une ligne JSON par
        /// événement, pour un collecteur de journaux).
        #[arg(long, env = "MSP_LOG_FORMAT", default_value = "text", value_name = "FORMAT", value_parser = ["text", "json"])]
        log_format: String,
        /// Cache de pages SQLite du serveur, en Mio, partagé entre ses 8 connexions.
        #[arg(long, env = "MSP_SQLITE_CACHE_MIO", default_value_t = msp_store::POOL_CACHE_MIB, value_name = "MIO")]
        sqlite_cache_mio: i64,
        /// Lire l’adresse du client dans l’en-tête du mandataire inverse (Forwarded, sinon
        /// X-Forwarded-For : la dernière adresse, celle qu’il a ajoutée) pour les limites de
        /// connexion. Seulement derrière un mandataire qui écrit cet en-tête : sinon un
        /// client choisirait son adresse. Aussi MSP_TRUST_PROXY=1.
        #[arg(long, env = "MSP_TRUST_PROXY")]
        trust_proxy: bool,
        #[command(flatten)]
        mail: crate::commands::serve::MailArgs,
    },
    /// Sans option : importe les fichiers d’exemple livrés et juge leur lot. Avec --size :
    /// génère une démonstration déterministe (jusqu’à l’échelle nationale) et la fait passer
    /// par l’import et le jugement réels, lot par lot (un lot par mois de réception).
    Demo {
        /// samples (fichiers d’exemple), small, medium ou national.
        #[arg(long, default_value = "samples", value_name = "TAILLE")]
        size: String,
        /// Graine du générateur : la même graine donne la même démonstration.
        #[arg(long, default_value_t = 2022, value_name = "N", value_parser = crate::french_cli::integer::<u64>)]
        seed: u64,
        /// Le « jour » de la démonstration (par défaut aujourd’hui) : rien n’est reçu après.
        #[arg(long, value_name = "AAAA-MM-JJ", value_parser = crate::french_cli::date)]
        as_of: Option<jiff::civil::Date>,
    },
    /// Comptes de démonstration, un par rôle, rattachés aux fichiers d’exemple (importés au
    /// besoin) : pour essayer l’espace professionnel. Refusé sur une base qui contient d’autres
    /// comptes. Mot de passe commun : MSP_DEMO_PASSWORD, sinon tiré au hasard et affiché.
    #[command(name = "demo-comptes", alias = "demo-accounts")]
    DemoComptes,
    /// Statistiques (SPEC §11) à une date, pour la France, une région ou un département.
    /// Les effectifs de 1 à 10 sont masqués (<11). Dans l’espace professionnel, un compte
    /// d’analyste d’ARS ne voit que sa région ; ici, commande d’exploitation, le périmètre est
    /// un paramètre.
    Stats {
        /// Date d’observation (par défaut aujourd’hui).
        #[arg(long, value_name = "AAAA-MM-JJ", value_parser = crate::french_cli::date)]
        as_of: Option<jiff::civil::Date>,
        /// Format de sortie.
        #[arg(long, value_enum, default_value = "json")]
        format: commands::stats::Format,
        /// france, region:CODE (ex. region:84) ou departement:CODE (ex. departement:69).
        #[arg(long, default_value = "france", value_name = "PÉRIMÈTRE")]
        scope: String,
        /// Effectifs non masqués (usage interne uniquement, jamais pour une publication).
        #[arg(long)]
        unmasked: bool,
    },
    /// Chiffres publiés (data/published_figures.csv) à côté des mêmes chiffres calculés.
    #[command(alias = "published")]
    Compare {
        /// text (tableau lisible), json ou csv.
        #[arg(long, default_value = "text", value_name = "FORMAT")]
        format: String,
    },
    /// Génère des fichiers d’entrée synthétiques réalistes (déterministes pour une graine).
    Synth {
        /// Graine du générateur : la même graine donne les mêmes fichiers.
        #[arg(long, default_value_t = 42, value_name = "N", value_parser = crate::french_cli::integer::<u64>)]
        seed: u64,
        /// Nombre de psychologues.
        #[arg(long, default_value_t = 2_000, value_name = "N", value_parser = crate::french_cli::integer::<usize>)]
        psychologists: usize,
        /// Nombre de patients.
        #[arg(long, default_value_t = 300_000, value_name = "N", value_parser = crate::french_cli::integer::<usize>)]
        patients: usize,
        /// Nombre de demandes.
        #[arg(long, default_value_t = 2_000_000, value_name = "N", value_parser = crate::french_cli::integer::<usize>)]
        claims: usize,
        /// Répertoire où écrire les fichiers (créé au besoin).
        #[arg(long, value_name = "RÉPERTOIRE")]
        out: PathBuf,
    },
    /// Crée un compte administrateur (le premier, ou un de plus). Le mot de passe est lu dans
    /// MSP_ADMIN_PASSWORD, sinon sur l’entrée standard (une ligne).
    CreateAdmin {
        /// Adresse électronique du compte (son identifiant de connexion).
        #[arg(long, value_name = "ADRESSE")]
        email: String,
        /// Nom affiché (par défaut : l’adresse).
        #[arg(long, value_name = "NOM")]
        name: Option<String>,
    },
    /// Renouvelle la clé secrète des références de patients (P-…) du journal d’audit et de
    /// l’API. Les serveurs la lisent au démarrage : redémarrez-les. Les références déjà écrites
    /// ou imprimées gardent l’ancienne clé, conservée dans la base sous un nom daté.
    #[command(name = "rotate-patient-key", alias = "renouveler-cle-patients")]
    RotatePatientKey,
    /// Refuse les candidatures restées sans décision 4 mois après le dossier complet (le
    /// serveur le fait aussi toutes les heures).
    ExpireApplications {
        /// Date du jour à retenir (par défaut aujourd’hui).
        #[arg(long, value_name = "AAAA-MM-JJ", value_parser = crate::french_cli::date)]
        as_of: Option<jiff::civil::Date>,
    },
    /// Contrôle des séances en visio (SPEC §3) : les psychologues dont les séances PSS dépassent
    /// 20 % (règles datées) de leurs séances acceptées de l’année civile, en CSV (rpps,
    /// last_name, first_name, sessions, remote_sessions, remote_share_percent), de la plus forte
    /// part à la plus faible. Un signalement pour contrôle, jamais un rejet.
    #[command(name = "controle-visio", alias = "remote-share")]
    ControleVisio {
        /// Année civile des séances (ex. 2025).
        #[arg(long, value_name = "AAAA", value_parser = crate::french_cli::year)]
        annee: i16,
        /// Fichier CSV à écrire ; sinon sur la sortie standard.
        #[arg(long, value_name = "FICHIER")]
        out: Option<PathBuf>,
    },
    /// Mesure le débit de bout en bout (CSV → jugement → enregistrement → décisions) et du moteur seul.
    Bench {
        /// Répertoire produit par `msp synth`.
        #[arg(value_name = "RÉPERTOIRE")]
        input: PathBuf,
    },
}

pub fn run() -> ExitCode {
    let cli = match crate::french_cli::parse() {
        Ok(cli) => cli,
        Err(code) => return code,
    };
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
        Command::Serve {
            addr,
            no_demo,
            log_format,
            sqlite_cache_mio,
            trust_proxy,
            mail,
        } => commands::serve::run(
            &cli.db,
            &commands::serve::ServeOptions {
                addr,
                demo_if_empty: !no_demo,
                json_logs: log_format == "json",
                sqlite_cache_mib: sqlite_cache_mio,
                trust_proxy,
            },
            cli.rules.is_some().then_some(rules),
            &mail,
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
        Command::RotatePatientKey => commands::accounts::rotate_patient_key(&cli.db),
        Command::ExpireApplications { as_of } => commands::accounts::expire(&cli.db, as_of),
        Command::ControleVisio { annee, out } => {
            commands::controls::remote_share(&cli.db, &rules, annee, out.as_deref())
        }
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

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    /// Issue 16: a server is configured by its environment (containers, service managers):
    /// every option of `msp serve` has its variable.
    #[test]
    fn every_option_of_serve_is_read_from_the_environment() {
        let cmd = Cli::command();
        let serve = cmd.find_subcommand("serve").expect("serve");
        let missing: Vec<_> = serve
            .get_arguments()
            .filter(|a| !a.is_positional() && a.get_id() != "help")
            .filter(|a| a.get_env().is_none())
            .map(|a| a.get_id().to_string())
            .collect();
        assert!(missing.is_empty(), "no environment variable: {missing:?}");
    }
}
