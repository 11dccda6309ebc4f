//! `parse_money` on arbitrary text, in each unit: an amount between £0 and
//! £10 billion, "not known", or a reason; never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portfolio_domain::consolidate::cell::CellValue;
use portfolio_domain::consolidate::money::{money_from_number, parse_money, MoneyUnit};
use portfolio_domain::money::MAX_PENCE;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for unit in [MoneyUnit::Pounds, MoneyUnit::Thousands, MoneyUnit::Millions] {
        match parse_money(text, unit) {
            Ok(CellValue::Known(money)) => {
                assert!(
                    (0..=MAX_PENCE).contains(&money.pence()),
                    "{text:?} read as {} pence",
                    money.pence()
                );
                // Surrounding spaces change nothing.
                assert_eq!(
                    parse_money(&format!("  {text}\t"), unit),
                    Ok(CellValue::Known(money))
                );
            }
            Ok(CellValue::NotKnown) => {}
            Err(why) => assert!(
                !why.trim().is_empty(),
                "{text:?}: a refusal without a reason"
            ),
        }
        if let Ok(number) = text.trim().parse::<f64>() {
            if let Ok(money) = money_from_number(number, unit) {
                assert!((0..=MAX_PENCE).contains(&money.pence()), "{number}");
            }
        }
    }
    let _ = MoneyUnit::from_header(text);
});
