//! Every template renders in both languages with what its event carries.

use lonjak_domain::events::{ScoreExplanation, ScorePart};
use lonjak_domain::{Language, RejectionReason};
use lonjak_store::Channel;

use super::*;

fn fill<'a>(facts: &'a Facts, link: bool) -> Fill<'a> {
    Fill {
        name: "Siti Rahayu",
        registration_id: "00112233445566778899aabbccddeeff".to_owned(),
        wave: 2,
        facts,
        link: link.then(|| "http://x/v1/email-verifications/abc".to_owned()),
        link_expires: link.then(|| "2020-04-13 10:00 WIB".to_owned()),
    }
}

fn score() -> ScoreExplanation {
    ScoreExplanation {
        total: 60,
        parts: vec![
            ScorePart {
                rule: "employment.laid_off".into(),
                points: 50,
            },
            ScorePart {
                rule: "a.rule.nobody.named".into(),
                points: 10,
            },
        ],
    }
}

#[test]
fn every_event_renders_in_both_languages_on_its_channels() {
    let templates = Templates::load().expect("templates");
    let ranked = Facts {
        rank: Some(7),
        score: Some(score()),
        ..Facts::default()
    };
    let rejected = Facts {
        reason: Some("under_18"),
        ..Facts::default()
    };
    let plain = Facts::default();
    let cases: [(&str, &Facts, &[Channel]); 5] = [
        ("verified", &plain, &Channel::ALL),
        ("rejected", &rejected, &Channel::ALL),
        ("selected", &ranked, &Channel::ALL),
        ("waitlisted", &ranked, &Channel::ALL),
        ("email_verification", &plain, &[Channel::Email]),
    ];
    for language in Language::ALL {
        for (template, facts, channels) in cases {
            for channel in channels {
                let rendered = templates
                    .render(template, *channel, language, &fill(facts, true))
                    .unwrap_or_else(|e| panic!("{template} {channel:?} {language:?}: {e:?}"));
                assert!(rendered.body.contains("Siti Rahayu"), "{template}");
                assert_eq!(rendered.subject.is_some(), *channel == Channel::Email);
                if *channel == Channel::Email {
                    assert!(rendered.body.contains("/v1/email-verifications/abc"));
                }
            }
        }
    }
}

#[test]
fn reasons_and_score_parts_are_in_plain_words_of_the_language() {
    let templates = Templates::load().expect("templates");
    let rejected = Facts {
        reason: Some(RejectionReason::Under18.as_str()),
        ..Facts::default()
    };
    let id = templates
        .render(
            "rejected",
            Channel::Email,
            Language::Id,
            &fill(&rejected, false),
        )
        .expect("render");
    assert!(id.body.contains("belum 18 tahun"), "{}", id.body);
    assert!(!id.body.contains("under_18"));
    let en = templates
        .render(
            "rejected",
            Channel::Sms,
            Language::En,
            &fill(&rejected, false),
        )
        .expect("render");
    assert!(en.body.contains("under 18"), "{}", en.body);

    let ranked = Facts {
        rank: Some(7),
        score: Some(score()),
        ..Facts::default()
    };
    let selected = templates
        .render(
            "selected",
            Channel::Email,
            Language::En,
            &fill(&ranked, false),
        )
        .expect("render");
    assert!(
        selected.body.contains("laid off: 50 points"),
        "{}",
        selected.body
    );
    // A rule the templates do not know is shown by its name, not dropped.
    assert!(selected.body.contains("a.rule.nobody.named: 10 points"));
    assert!(selected.body.contains("rank 7"));
}

#[test]
fn a_verified_address_gets_no_link() {
    let templates = Templates::load().expect("templates");
    let plain = Facts::default();
    for language in Language::ALL {
        let rendered = templates
            .render("verified", Channel::Email, language, &fill(&plain, false))
            .expect("render");
        assert!(!rendered.body.contains("email-verifications"));
    }
}

#[test]
fn every_rejection_reason_has_words_in_both_languages() {
    let templates = Templates::load().expect("templates");
    for language in Language::ALL {
        for reason in RejectionReason::ALL {
            let facts = Facts {
                reason: Some(reason.as_str()),
                ..Facts::default()
            };
            let rendered = templates
                .render("rejected", Channel::Sms, language, &fill(&facts, false))
                .expect("render");
            assert!(
                !rendered.body.contains(reason.as_str()),
                "{reason:?} has no words in {language:?}: {}",
                rendered.body
            );
        }
    }
}
