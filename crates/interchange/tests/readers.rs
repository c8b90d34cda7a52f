use jiff::civil::date;
use msp_domain::{
    Act, Beneficiary, Cents, Claim, ClaimContext, Convention, Exclusion, InsuranceRegime, Nir,
    Period, PracticeMode, ReferrerKind, RegistryEntry, Rpps, Sex, Suspension,
};
use msp_interchange::{
    BeneficiaryReader, ClaimReader, ConventionReader, CsvReader, ExclusionReader, FileError,
    InputRecord, Parsed, RegistryReader, RowError, SuspensionReader,
};

const NIR: &str = "206127511100564";
const RPPS: &str = "10000000009"; // Luhn-valid; checked below.

fn read<T: InputRecord>(text: &str) -> Parsed<T> {
    CsvReader::<_, T>::new(text.as_bytes())
        .expect("header accepted")
        .read_all()
        .expect("no fatal error")
}

fn fatal<T: InputRecord>(text: &str) -> FileError {
    match CsvReader::<_, T>::new(text.as_bytes()) {
        Ok(_) => panic!("header should be refused"),
        Err(e) => e,
    }
}

fn err(line: u64, column: &str, message: &str) -> RowError {
    RowError::new(line, column, message)
}

#[test]
fn the_test_identifiers_are_valid() {
    assert!(Rpps::parse(RPPS).is_ok());
    assert!(Nir::parse(NIR).is_ok());
}

#[test]
fn registry_happy_path_any_column_order_quotes_and_spaces() {
    let text = format!(
        "commune_insee,practice_mode,profession_code,first_name,last_name,rpps\n\
         75056,L,93,Anne-Sophie,\"Le Gall, dite \"\"Annie\"\"\",{RPPS}\n\
         ,  M ,10, Jean , Dupont ,{RPPS}\n"
    );
    let parsed: Parsed<RegistryEntry> = read(&text);
    assert_eq!(parsed.errors, vec![]);
    let rpps = Rpps::parse(RPPS).unwrap();
    assert_eq!(
        parsed.rows,
        vec![
            (
                2,
                RegistryEntry {
                    rpps,
                    last_name: "Le Gall, dite \"Annie\"".into(),
                    first_name: "Anne-Sophie".into(),
                    profession_code: "93".into(),
                    practice_mode: PracticeMode::Liberal,
                    commune_insee: Some("75056".into()),
                }
            ),
            (
                3,
                RegistryEntry {
                    rpps,
                    last_name: "Dupont".into(),
                    first_name: "Jean".into(),
                    profession_code: "10".into(),
                    practice_mode: PracticeMode::Mixed,
                    commune_insee: None,
                }
            ),
        ]
    );
}

#[test]
fn registry_bad_cells() {
    let text = format!(
        "rpps,last_name,first_name,profession_code,practice_mode,commune_insee\n\
         {RPPS},A,B,93,X,\n\
         10000000008,A,B,93,L,\n\
         {RPPS},,B,93,L,\n\
         {RPPS},A,B,psy,L,\n"
    );
    let parsed: Parsed<RegistryEntry> = read(&text);
    assert!(parsed.rows.is_empty());
    assert_eq!(
        parsed.errors,
        vec![
            err(
                2,
                "practice_mode",
                "mode d’exercice « X » inconnu : L (libéral), S (salarié), M (mixte) ou B (bénévole) attendu"
            ),
            err(
                3,
                "rpps",
                "RPPS invalide : la clé de Luhn ne correspond pas"
            ),
            err(4, "last_name", "valeur obligatoire : la cellule est vide"),
            err(
                5,
                "profession_code",
                "code profession « psy » invalide : un code numérique est attendu (93 = psychologue)"
            ),
        ]
    );
}

#[test]
fn conventions_and_suspensions() {
    let text = format!(
        "rpps,cpam,start_date,end_date\n\
         {RPPS},751,2022-04-05,\n\
         {RPPS},751,2022-04-05,2023-12-31\n\
         {RPPS},751,2022-04-05,2022-04-04\n\
         {RPPS},751,,2022-04-04\n\
         {RPPS},,2022-04-05,\n"
    );
    let parsed: Parsed<Convention> = read(&text);
    let rpps = Rpps::parse(RPPS).unwrap();
    assert_eq!(
        parsed.rows,
        vec![
            (
                2,
                Convention {
                    rpps,
                    cpam: "751".into(),
                    period: Period::new(date(2022, 4, 5), None)
                }
            ),
            (
                3,
                Convention {
                    rpps,
                    cpam: "751".into(),
                    period: Period::new(date(2022, 4, 5), Some(date(2023, 12, 31)))
                }
            ),
        ]
    );
    assert_eq!(
        parsed.errors,
        vec![
            err(
                4,
                "end_date",
                "date de fin 2022-04-04 antérieure à la date de début 2022-04-05 (start_date)"
            ),
            err(5, "start_date", "valeur obligatoire : la cellule est vide"),
            err(6, "cpam", "valeur obligatoire : la cellule est vide"),
        ]
    );

    let text = format!(
        "reason,to,from,rpps\n\
         contrôle en cours,2023-03-31,2023-01-01,{RPPS}\n\
         ,,2023-01-01,{RPPS}\n"
    );
    let parsed: Parsed<Suspension> = read(&text);
    assert_eq!(parsed.errors, vec![]);
    assert_eq!(
        parsed.rows[0].1,
        Suspension {
            rpps,
            period: Period::new(date(2023, 1, 1), Some(date(2023, 3, 31))),
            reason: "contrôle en cours".into()
        }
    );
    assert_eq!(parsed.rows[1].1.period.to, None);
    assert_eq!(parsed.rows[1].1.reason, "");
}

#[test]
fn exclusions() {
    let text = format!(
        "nir,from,to\n{NIR},2023-01-01,2023-06-30\n{NIR},2023-01-01,\n2061275111005 65,2023-01-01,\n"
    );
    let parsed: Parsed<Exclusion> = read(&text);
    let nir = Nir::parse(NIR).unwrap();
    assert_eq!(
        parsed.rows,
        vec![
            (
                2,
                Exclusion {
                    nir,
                    period: Period::new(date(2023, 1, 1), Some(date(2023, 6, 30)))
                }
            ),
            (
                3,
                Exclusion {
                    nir,
                    period: Period::new(date(2023, 1, 1), None)
                }
            ),
        ]
    );
    assert_eq!(
        parsed.errors,
        vec![err(
            4,
            "nir",
            "NIR invalide : la clé 65 ne correspond pas aux 13 premiers chiffres : l’un d’eux est sans doute erroné, vérifiez-les"
        )]
    );
}

const BEN_HEADER: &str = "nir,birth_date,sex,regime,rights_from,rights_to,ame_from,ame_to,c2s_from,c2s_to,amc_id,noemie,commune_insee";

#[test]
fn beneficiaries_happy_path() {
    let text = format!(
        "{BEN_HEADER}\n\
         {NIR},2006-12-01,F,general,2006-12-01,,,,2024-01-01,2024-12-31,AMC1,1,75111\n\
         {NIR},2006-12-01,2,alsace_moselle,,,2023-01-01,,,,,,\n\
         {NIR},2006-12-01,1,,2006-12-01,,,,,,,0,\n"
    );
    let parsed: Parsed<Beneficiary> = read(&text);
    assert_eq!(parsed.errors, vec![]);
    let nir = Nir::parse(NIR).unwrap();
    assert_eq!(
        parsed.rows[0].1,
        Beneficiary {
            nir,
            birth_date: date(2006, 12, 1),
            sex: Sex::Female,
            regime: InsuranceRegime::General,
            rights: Some(Period::new(date(2006, 12, 1), None)),
            ame: None,
            c2s: Some(Period::new(date(2024, 1, 1), Some(date(2024, 12, 31)))),
            amc_id: Some("AMC1".into()),
            noemie: true,
            commune_insee: Some("75111".into()),
            exclusions: vec![],
        }
    );
    let b = &parsed.rows[1].1;
    assert_eq!(b.sex, Sex::Female);
    assert_eq!(b.regime, InsuranceRegime::AlsaceMoselle);
    assert_eq!(b.rights, None);
    assert_eq!(b.ame, Some(Period::new(date(2023, 1, 1), None)));
    assert!(!b.noemie);
    let b = &parsed.rows[2].1;
    assert_eq!(b.sex, Sex::Male);
    assert_eq!(b.regime, InsuranceRegime::General);
}

#[test]
fn beneficiaries_bad_cells() {
    let text = format!(
        "{BEN_HEADER}\n\
         {NIR},2006-12-01,X,general,,,,,,,,,\n\
         {NIR},2006-12-01,F,local,,,,,,,,,\n\
         {NIR},2006-12-01,F,general,,2024-01-01,,,,,,,\n\
         {NIR},2006-12-01,F,general,2024-01-01,,,,,,,oui,\n\
         {NIR},01/12/2006,F,general,,,,,,,,,\n\
         {NIR},,F,general,,,,,,,,,\n\
         {NIR},2006-12-01,F,general,,,,,2024-02-01,2024-01-31,,,\n"
    );
    let parsed: Parsed<Beneficiary> = read(&text);
    assert!(parsed.rows.is_empty());
    assert_eq!(
        parsed.errors,
        vec![
            err(2, "sex", "sexe « X » inconnu : M, F, 1 ou 2 attendu"),
            err(
                3,
                "regime",
                "régime « local » inconnu : general ou alsace_moselle attendu"
            ),
            err(
                4,
                "rights_to",
                "date de fin 2024-01-01 sans date de début : rights_from est vide"
            ),
            err(5, "noemie", "valeur « oui » invalide : 0 ou 1 attendu"),
            err(
                6,
                "birth_date",
                "date « 01/12/2006 » illisible : format AAAA-MM-JJ attendu"
            ),
            err(7, "birth_date", "valeur obligatoire : la cellule est vide"),
            err(
                8,
                "c2s_to",
                "date de fin 2024-01-31 antérieure à la date de début 2024-02-01 (c2s_from)"
            ),
        ]
    );
}

const CLAIM_HEADER: &str = "claim_id,received_date,rpps,nir,session_date,act,amount,context,tiers_payant,referral_date,referrer_id,referrer_kind";

#[test]
fn claims_happy_path() {
    let text = format!(
        "{CLAIM_HEADER}\n\
         FS1,2023-03-30,{RPPS},{NIR},2023-03-29,EEP,40.00,maladie,1,2022-09-29,10000000008,medecin\n\
         FS2,2023-04-30,{RPPS},{NIR},2023-04-05,APS,30,,,,,\n\
         FS3,2024-07-01,{RPPS},{NIR},2024-06-20,PSS,50.0,ald,0,,10000000008,sage_femme\n\
         FS4,2024-07-01,{RPPS},{NIR},2024-06-21,APS,50.00,atmp,0,2024-06-01,,\n"
    );
    let parsed: Parsed<Claim> = read(&text);
    assert_eq!(parsed.errors, vec![]);
    let rows: Vec<&Claim> = parsed.rows.iter().map(|(_, c)| c).collect();
    assert_eq!(
        parsed.rows.iter().map(|(l, _)| *l).collect::<Vec<_>>(),
        [2, 3, 4, 5]
    );
    let c = rows[0];
    assert_eq!(c.claim_id, "FS1");
    assert_eq!(c.received_date, date(2023, 3, 30));
    assert_eq!(c.rpps, Rpps::parse(RPPS).unwrap());
    assert_eq!(c.nir, Nir::parse(NIR).unwrap());
    assert_eq!(c.session_date, date(2023, 3, 29));
    assert_eq!(c.act, Act::Eep);
    assert_eq!(c.amount, Cents(4000));
    assert_eq!(c.context, ClaimContext::Maladie);
    assert!(c.tiers_payant);
    let r = c.referral.as_ref().unwrap();
    assert_eq!(r.date, date(2022, 9, 29));
    assert_eq!(r.referrer_id.as_deref(), Some("10000000008"));
    assert_eq!(r.kind, Some(ReferrerKind::Medecin));

    let c = rows[1];
    assert_eq!((c.act, c.amount), (Act::Aps, Cents(3000)));
    assert_eq!(c.context, ClaimContext::Maladie);
    assert!(!c.tiers_payant);
    assert_eq!(c.referral, None);

    // A referrer without a referral date: accepted, no referral.
    let c = rows[2];
    assert_eq!(
        (c.act, c.amount, c.context),
        (Act::Pss, Cents(5000), ClaimContext::Ald)
    );
    assert_eq!(c.referral, None);

    // A referral date without referrer: a letter of unknown kind.
    let r = rows[3].referral.as_ref().unwrap();
    assert_eq!(
        (r.date, r.kind, r.referrer_id.clone()),
        (date(2024, 6, 1), None, None)
    );
    assert_eq!(rows[3].context, ClaimContext::Atmp);
}

#[test]
fn claims_bad_cells_with_lines_after_a_multiline_field() {
    let ok = |id: &str| format!("{id},2023-03-30,{RPPS},{NIR},2023-03-29,APS,30.00,maladie,0,,,");
    let text = format!(
        "{CLAIM_HEADER}\n\
         {ok1}\n\
         FS2,2023-03-30,{RPPS},{NIR},2023-03-29,APS,30.00,maladie,0,2023-01-01,\"Dr Martin\ncabinet\nrue Haute\",medecin\n\
         FS3,2023-03-30,{RPPS},206127511100565,2023-03-29,APS,30.00,maladie,0,,,\n\
         FS4,2023-03-30,{RPPS},{NIR},2023-03-29,XYZ,30.00,maladie,0,,,\n\
         FS5,2023-03-30,{RPPS},{NIR},2023-02-30,APS,30.00,maladie,0,,,\n\
         FS6,2023-03-30,{RPPS},{NIR},2023-03-29,APS,50.001,maladie,0,,,\n\
         ,2023-03-30,{RPPS},{NIR},2023-03-29,APS,30.00,maladie,0,,,\n\
         FS8,2023-03-30,{RPPS},{NIR},2023-03-29,APS,30.00,maladie,0,,10000000008,infirmier\n\
         FS9,2023-03-30,{RPPS},{NIR}\n\
         \n\
         {ok10}\n\
         FS11,2023-03-30,{RPPS},{NIR},2023-03-29,APS,30.00,chomage,2,,,\n\
         FS12,2023-03-30,{RPPS},{NIR},2023-03-29,APS,30.00,maladie,oui,,,\n\
         FS13,2023-03-30,1234,{NIR},2023-03-29,APS,30.00,maladie,0,,,\n\
         FS14,2023-03-30,{RPPS},{NIR},2023-03-29,APS,-30.00,maladie,0,,,\n\
         FS15,2023-03-30,{RPPS},{NIR},2023-03-29,APS,trente,maladie,0,,,\n\
         FS16,2023-03-30,{RPPS},{NIR},2023-03-29,APS,30.00,maladie,0,2023-13-01,,\n\
         {ok17}\n",
        ok1 = ok("FS1"),
        ok10 = ok("FS10"),
        ok17 = ok("FS17"),
    );
    let parsed: Parsed<Claim> = read(&text);
    let good: Vec<(u64, &str)> = parsed
        .rows
        .iter()
        .map(|(l, c)| (*l, c.claim_id.as_str()))
        .collect();
    // FS2's referrer spans lines 3-5; the blank line 13 is skipped.
    assert_eq!(good, [(2, "FS1"), (3, "FS2"), (14, "FS10"), (21, "FS17")]);
    assert_eq!(
        parsed.rows[1]
            .1
            .referral
            .as_ref()
            .unwrap()
            .referrer_id
            .as_deref(),
        Some("Dr Martin\ncabinet\nrue Haute")
    );
    assert_eq!(
        parsed.errors,
        vec![
            err(
                6,
                "nir",
                "NIR invalide : la clé 65 ne correspond pas aux 13 premiers chiffres : l’un d’eux est sans doute erroné, vérifiez-les"
            ),
            err(7, "act", "acte « XYZ » inconnu : EEP, APS ou PSS attendu"),
            err(
                8,
                "session_date",
                "date « 2023-02-30 » impossible : format AAAA-MM-JJ attendu"
            ),
            err(
                9,
                "amount",
                "montant « 50.001 » : deux décimales au plus (centimes)"
            ),
            err(10, "claim_id", "valeur obligatoire : la cellule est vide"),
            err(
                11,
                "referrer_kind",
                "type de prescripteur « infirmier » inconnu : medecin ou sage_femme attendu"
            ),
            err(12, "", "la ligne compte 4 colonne(s) au lieu de 12"),
            err(
                15,
                "context",
                "contexte « chomage » inconnu : maladie, ald, maternite ou atmp attendu"
            ),
            err(
                16,
                "tiers_payant",
                "valeur « oui » invalide : 0 ou 1 attendu"
            ),
            err(17, "rpps", "RPPS invalide : 11 chiffres attendus"),
            err(18, "amount", "montant « -30.00 » négatif"),
            err(
                19,
                "amount",
                "montant « trente » illisible : écrire des euros avec un point, par exemple 50.00"
            ),
            err(
                20,
                "referral_date",
                "date « 2023-13-01 » impossible : format AAAA-MM-JJ attendu"
            ),
        ]
    );
}

#[test]
fn streaming_iterator_gives_rows_and_errors_in_order() {
    let text = format!(
        "{CLAIM_HEADER}\nFS1,2023-03-30,{RPPS},{NIR},2023-03-29,APS,30.00,,,,,\nFS2,x,{RPPS},{NIR},2023-03-29,APS,30.00,,,,,\n"
    );
    let mut reader = ClaimReader::new(text.as_bytes()).unwrap();
    assert!(matches!(reader.next(), Some(Ok((2, _)))));
    match reader.next() {
        Some(Err(msp_interchange::ReadError::Row(e))) => {
            assert_eq!((e.line, e.column.as_str()), (3, "received_date"));
            assert_eq!(
                e.to_string(),
                "ligne 3, colonne received_date : date « x » illisible : format AAAA-MM-JJ attendu"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(reader.next().is_none());
}

#[test]
fn header_problems_are_fatal() {
    let e = fatal::<Claim>(&format!("{CLAIM_HEADER},montant_total\n"));
    match &e {
        FileError::Header {
            unknown,
            missing,
            duplicated,
            ..
        } => {
            assert_eq!(unknown, &["montant_total".to_string()]);
            assert!(missing.is_empty() && duplicated.is_empty());
        }
        other => panic!("{other:?}"),
    }
    let msg = e.to_string();
    assert!(
        msg.starts_with(
            "claims.csv : en-tête invalide, aucune ligne n’est lue : colonne(s) inconnue(s) : « montant_total »"
        ),
        "{msg}"
    );

    let e = fatal::<Convention>("rpps,cpam,start_date\n");
    assert_eq!(
        e.to_string(),
        "conventions.csv : en-tête invalide, aucune ligne n’est lue : colonne(s) manquante(s) : « end_date » \
         (colonnes attendues, dans un ordre quelconque : rpps,cpam,start_date,end_date)"
    );

    let e = fatal::<Exclusion>("nir,from,to,from\n");
    assert_eq!(
        e.to_string(),
        "exclusions.csv : en-tête invalide, aucune ligne n’est lue : colonne(s) en double : « from » \
         (colonnes attendues, dans un ordre quelconque : nir,from,to)"
    );

    let e = fatal::<Suspension>("rpps,debut,to\n");
    let msg = e.to_string();
    assert!(msg.contains("colonne(s) inconnue(s) : « debut »"), "{msg}");
    assert!(
        msg.contains("colonne(s) manquante(s) : « from », « reason »"),
        "{msg}"
    );

    assert!(matches!(fatal::<Beneficiary>(""), FileError::Empty { .. }));
    assert_eq!(
        fatal::<Exclusion>("").to_string(),
        "exclusions.csv : fichier vide, une ligne d’en-tête est attendue (nir,from,to)"
    );
    // Even a header followed by good rows is refused as a whole.
    assert!(matches!(
        ExclusionReader::new(format!("nir,from,to,x\n{NIR},2023-01-01,,\n").as_bytes()),
        Err(FileError::Header { .. })
    ));
}

#[test]
fn header_names_are_trimmed_and_case_insensitive() {
    let parsed: Parsed<Exclusion> = read(&format!(" NIR , From,to\n{NIR},2023-01-01,\n"));
    assert_eq!(parsed.errors, vec![]);
    assert_eq!(parsed.rows.len(), 1);
}

#[test]
fn byte_order_mark_is_skipped() {
    let text = format!("\u{feff}nir,from,to\n{NIR},2023-01-01,\n");
    let parsed: Parsed<Exclusion> = read(&text);
    assert_eq!(parsed.errors, vec![]);
    assert_eq!(parsed.rows.len(), 1);
    assert_eq!(parsed.rows[0].0, 2);
    // Also when the reader hands out one byte at a time.
    struct Trickle<'a>(&'a [u8]);
    impl std::io::Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.0.is_empty() || buf.is_empty() {
                return Ok(0);
            }
            buf[0] = self.0[0];
            self.0 = &self.0[1..];
            Ok(1)
        }
    }
    let parsed = ExclusionReader::new(Trickle(text.as_bytes()))
        .unwrap()
        .read_all()
        .unwrap();
    assert_eq!(parsed.rows.len(), 1);
    // Tiny files (shorter than a BOM) still work.
    assert!(matches!(
        ExclusionReader::new("n".as_bytes()),
        Err(FileError::Header { .. })
    ));
}

#[test]
fn crlf_line_endings_and_invalid_utf8() {
    let text = format!(
        "nir,from,to\r\n{NIR},2023-01-01,\r\n{NIR},2023-01-01,2023-02-01\r\n\r\n\r\n{NIR},2023-01-01,\r\n{NIR},x,\r\n"
    );
    let parsed: Parsed<Exclusion> = read(&text);
    assert_eq!(
        parsed.errors,
        vec![err(
            7,
            "from",
            "date « x » illisible : format AAAA-MM-JJ attendu"
        )]
    );
    assert_eq!(
        parsed.rows.iter().map(|(l, _)| *l).collect::<Vec<_>>(),
        [2, 3, 6]
    );
    let text = format!(
        "rpps,last_name,first_name,profession_code,practice_mode,commune_insee\r\n{RPPS},\"A\r\nB\r\n\r\nC\",D,93,L,\r\n{RPPS},A,B,93,Q,\r\n"
    );
    let parsed = RegistryReader::new(text.as_bytes())
        .unwrap()
        .read_all()
        .unwrap();
    assert_eq!(parsed.rows[0].0, 2);
    assert_eq!(parsed.errors[0].line, 6);

    let mut bytes = format!(
        "rpps,last_name,first_name,profession_code,practice_mode,commune_insee\n{RPPS},Lef"
    )
    .into_bytes();
    bytes.push(0xE8); // Latin-1 "è"
    bytes.extend_from_slice(b"vre,Marie,93,L,\n");
    let parsed = RegistryReader::new(&bytes[..]).unwrap().read_all().unwrap();
    assert_eq!(
        parsed.errors,
        vec![err(
            2,
            "last_name",
            "texte illisible : le fichier doit être en UTF-8"
        )]
    );
}

/// Hands out `n` bytes at a time, to cross every chunk boundary.
struct Chunks<'a>(&'a [u8], usize);
impl std::io::Read for Chunks<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.1.min(buf.len()).min(self.0.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

#[test]
fn line_numbers_do_not_depend_on_read_sizes() {
    let text = format!(
        "\u{feff}nir,from,to\r\n\r\n{NIR},2023-01-01,\r\n\"{NIR}\",\"2023-01-01\r\n\",\r\n\r\n\r\n{NIR},2023-01-01,\n\n{NIR},x,\r\n{NIR},2023-01-01,"
    );
    let lines = |parsed: Parsed<Exclusion>| {
        let mut all: Vec<u64> = parsed.rows.iter().map(|(l, _)| *l).collect();
        all.extend(parsed.errors.iter().map(|e| e.line));
        all
    };
    let expected = lines(read(&text));
    assert_eq!(expected, [3, 4, 8, 11, 10]);
    for n in 1..20 {
        let parsed = ExclusionReader::new(Chunks(text.as_bytes(), n))
            .unwrap()
            .read_all()
            .unwrap();
        assert_eq!(lines(parsed), expected, "chunks of {n}");
    }
}

#[test]
fn readers_type_aliases_exist() {
    let _ = ConventionReader::new("rpps,cpam,start_date,end_date\n".as_bytes()).unwrap();
    let _ = SuspensionReader::new("rpps,from,to,reason\n".as_bytes()).unwrap();
    let _ = BeneficiaryReader::new(format!("{BEN_HEADER}\n").as_bytes()).unwrap();
}

/// Issue 13 (17): a NIR typed into the wrong column is not echoed in the message, however it
/// is written.
#[test]
fn a_nir_in_the_wrong_column_is_masked_in_messages() {
    let header = "claim_id,received_date,rpps,nir,session_date,act,amount,context,tiers_payant,referral_date,referrer_id,referrer_kind";
    for written in [
        "185057500100117",
        "1-85-05-75-001-001-17",
        "１８５０５７５００１００１１７",
    ] {
        let text = format!(
            "{header}\nc1,2024-07-02,{RPPS},{NIR},2024-07-01,{written},50.00,maladie,0,,,\n\
             c2,2024-07-02,{RPPS},{NIR},{written},EEP,50.00,maladie,0,,,\n\
             c3,2024-07-02,{RPPS},{NIR},2024-07-01,EEP,50.00,{written},0,,,\n"
        );
        let parsed = read::<Claim>(&text);
        assert_eq!(parsed.errors.len(), 3, "{:?}", parsed.errors);
        for e in &parsed.errors {
            let digits: String = e.message.chars().filter(|c| c.is_numeric()).collect();
            assert!(!digits.contains("0500100"), "{written}: {e}");
            assert!(e.message.contains("masquée"), "{written}: {e}");
        }
    }
}
