use msp_domain::{AmcRoute, AmoPayee, Cents, ComplementaryPayer, Decision, Payment, Reason};
use msp_interchange::{
    DecisionReader, DecisionRecord, DecisionWriter, ErrorReportWriter, FileError, RowError,
};

fn accepted() -> Decision {
    Decision::Accepted(Payment {
        rank: 3,
        tariff: Cents(5000),
        amo: Cents(3000),
        amo_payee: AmoPayee::Assure,
        complementary: Cents(2000),
        complementary_payer: ComplementaryPayer::Amc,
        complementary_route: AmcRoute::Noemie,
        state: Cents(0),
        patient: Cents(0),
    })
}

fn ame() -> Decision {
    Decision::Accepted(Payment {
        rank: 1,
        tariff: Cents(4000),
        amo: Cents(0),
        amo_payee: AmoPayee::None,
        complementary: Cents(0),
        complementary_payer: ComplementaryPayer::None,
        complementary_route: AmcRoute::None,
        state: Cents(4000),
        patient: Cents(0),
    })
}

#[test]
fn decisions_exact_text() {
    let mut w = DecisionWriter::new(Vec::new()).unwrap();
    w.write("FS1", &accepted()).unwrap();
    w.write("FS2", &Decision::Rejected(Reason::EepManquante))
        .unwrap();
    w.write("FS,3", &ame()).unwrap();
    let text = String::from_utf8(w.finish().unwrap()).unwrap();
    assert_eq!(
        text,
        "claim_id,status,reason,rank,tariff_cents,amo_cents,amo_payee,complementary_cents,complementary_payer,complementary_route,state_cents,patient_cents\n\
         FS1,accepted,,3,5000,3000,assure,2000,amc,noemie,0,0\n\
         FS2,rejected,EEP_MANQUANTE,,,,,,,,,\n\
         \"FS,3\",accepted,,1,4000,0,none,0,none,none,4000,0\n"
    );
}

#[test]
fn decisions_round_trip() {
    let decisions: Vec<DecisionRecord> = Reason::ALL
        .iter()
        .map(|r| Decision::Rejected(*r))
        .chain([accepted(), ame()])
        .enumerate()
        .map(|(i, decision)| DecisionRecord {
            claim_id: format!("C{i}"),
            decision,
        })
        .collect();
    let mut w = DecisionWriter::new(Vec::new()).unwrap();
    for d in &decisions {
        w.write(&d.claim_id, &d.decision).unwrap();
    }
    let bytes = w.finish().unwrap();
    let parsed = DecisionReader::new(&bytes[..]).unwrap().read_all().unwrap();
    assert_eq!(parsed.errors, vec![]);
    let back: Vec<DecisionRecord> = parsed.rows.into_iter().map(|(_, d)| d).collect();
    assert_eq!(back, decisions);
}

#[test]
fn decisions_reader_checks_consistency() {
    let text = "status,claim_id,reason,rank,tariff_cents,amo_cents,amo_payee,complementary_cents,complementary_payer,complementary_route,state_cents,patient_cents\n\
                rejected,A,,,,,,,,,,\n\
                rejected,B,TARIF,1,,,,,,,,\n\
                accepted,C,,1,5000,3000,assure,2000,mutuelle,noemie,0,0\n\
                maybe,D,,,,,,,,,,\n\
                accepted,E,,x,5000,3000,assure,2000,amc,noemie,0,0\n\
                accepted,F,,1,50.00,3000,assure,2000,amc,noemie,0,0\n";
    let parsed = DecisionReader::new(text.as_bytes())
        .unwrap()
        .read_all()
        .unwrap();
    assert!(parsed.rows.is_empty());
    let got: Vec<(u64, &str)> = parsed
        .errors
        .iter()
        .map(|e| (e.line, e.column.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (2, "reason"),
            (3, "rank"),
            (4, "complementary_payer"),
            (5, "status"),
            (6, "rank"),
            (7, "tariff_cents")
        ]
    );
    assert_eq!(
        parsed.errors[3].message,
        "statut « maybe » inconnu : accepted ou rejected attendu"
    );
    assert!(matches!(
        DecisionReader::new("claim_id,status\n".as_bytes()),
        Err(FileError::Header { .. })
    ));
}

#[test]
fn errors_report_exact_text() {
    let mut w = ErrorReportWriter::new(Vec::new()).unwrap();
    w.write(&RowError::new(
        7,
        "act",
        "acte « XYZ » inconnu : EEP, APS ou PSS attendu",
    ))
    .unwrap();
    w.write(&RowError::new(
        9,
        "",
        "la ligne compte 4 colonne(s) au lieu de 12",
    ))
    .unwrap();
    w.write(&RowError::new(12, "referrer_id", "texte \"cité\""))
        .unwrap();
    let text = String::from_utf8(w.finish().unwrap()).unwrap();
    assert_eq!(
        text,
        "line,column,message\n\
         7,act,\"acte « XYZ » inconnu : EEP, APS ou PSS attendu\"\n\
         9,,la ligne compte 4 colonne(s) au lieu de 12\n\
         12,referrer_id,\"texte \"\"cité\"\"\"\n"
    );
}

/// Issue 13 (18): a claim id a spreadsheet would run is written with a leading `'`, and reads
/// back as the original; the errors report neutralises its cells too.
#[test]
fn formula_cells_are_neutralised_and_read_back() {
    let ids = [
        "=HYPERLINK(\"http://x.example\",\"clic\")",
        "+33",
        "@SUM(A1)",
        "-2",
        "'x",
        "C1",
    ];
    let mut w = DecisionWriter::new(Vec::new()).unwrap();
    for id in ids {
        w.write(id, &Decision::Rejected(Reason::Doublon)).unwrap();
    }
    let bytes = w.finish().unwrap();
    let text = String::from_utf8(bytes.clone()).unwrap();
    for line in text.lines().skip(1) {
        let first = line.trim_start_matches('"').chars().next().unwrap();
        assert!(!matches!(first, '=' | '+' | '-' | '@'), "{line}");
    }
    assert!(text.contains("\"'=HYPERLINK("), "{text}");
    assert!(text.contains("\n''x,"), "{text}");
    assert!(text.contains("\nC1,"), "{text}");
    let back: Vec<String> = DecisionReader::new(&bytes[..])
        .unwrap()
        .read_all()
        .unwrap()
        .rows
        .into_iter()
        .map(|(_, d)| d.claim_id)
        .collect();
    assert_eq!(back, ids);

    let mut report = ErrorReportWriter::new(Vec::new()).unwrap();
    report
        .write(&RowError::new(2, "=cmd|' /C calc'!A0", "@bad"))
        .unwrap();
    let text = String::from_utf8(report.finish().unwrap()).unwrap();
    assert_eq!(text, "line,column,message\n2,'=cmd|' /C calc'!A0,'@bad\n");
}
