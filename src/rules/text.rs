//! Text rules: `pattern`, `one_of` and `length`.

use regex::{Regex, RegexBuilder};

use super::failure::{ErrorCode, Failure};
use super::unique::ascii_lowercase_word;
use crate::error::SchemaError;
use crate::schema::{LengthRule, OneOfRule, PatternRule};

/// Compiled-size cap for user-supplied patterns (schemas come from users).
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// The most alternatives a pattern may follow at once (see [`threads`]).
/// Matching costs 3 to 8 ns per alternative and byte when the regex
/// engine's DFA cache cannot help, so this keeps the worst case under about
/// 1 µs per byte (measured: 98 alternatives, 0.3-0.6 µs per byte;
/// `(?:a|aa){0,4000}b` follows 4,000 and took 50-150 µs per byte); honest
/// patterns follow 1 to 10.
pub(crate) const MAX_THREADS: usize = 100;

/// Work allowed to [`threads`] (NFA states and transitions visited).
const ANALYSIS_BUDGET: usize = 2_000_000;

/// A compiled `pattern` rule, anchored at both ends.
#[derive(Clone, Debug)]
pub(crate) struct PatternCheck {
    regex: Regex,
    description: String,
    /// The expression as anchored, for [`PatternCheck::sample`].
    anchored: String,
}

impl PatternCheck {
    /// What the rule accepts, as a noun phrase (the schema's description,
    /// else the pattern); the messages and the guide both say it this way.
    pub(crate) fn accepts(&self) -> String {
        self.description.clone()
    }

    pub fn compile(column: &str, rule: &PatternRule) -> Result<PatternCheck, SchemaError> {
        if rule.regex.is_empty() {
            // It matches only the empty cell, which skips every rule anyway.
            return Err(SchemaError::rule(
                column,
                "the pattern is empty: expected a regular expression that values must match",
            ));
        }
        let anchored = format!("^(?:{})$", rule.regex);
        let regex = RegexBuilder::new(&anchored)
            .size_limit(REGEX_SIZE_LIMIT)
            .dfa_size_limit(REGEX_SIZE_LIMIT)
            .build()
            .map_err(|err| {
                let detail = match err {
                    regex::Error::CompiledTooBig(limit) => {
                        format!("the pattern is too large (compiled size over {limit} bytes)")
                    }
                    other => other.to_string(),
                };
                SchemaError::rule(
                    column,
                    format!("invalid pattern \"{}\": {detail}", rule.regex),
                )
            })?;
        // The regex crate's size limit bounds memory, not time: bound how
        // many alternatives matching follows at once, hence each byte's cost.
        let slow = |why: String| {
            SchemaError::rule(column, format!("invalid pattern \"{}\": {why}", rule.regex))
        };
        match threads(&anchored) {
            Some(n) if n <= MAX_THREADS => {}
            Some(_) => {
                return Err(slow(format!(
                    "matching it can follow more than {MAX_THREADS} alternatives at once, which makes every cell slow to check; simplify the repetitions (e.g. (a|aa){{0,4000}} or nested counted repeats)"
                )));
            }
            None => {
                return Err(slow(
                    "it is too complex to bound the time matching takes; simplify the repetitions"
                        .to_string(),
                ));
            }
        }
        Ok(PatternCheck {
            regex,
            description: rule
                .description
                .clone()
                .unwrap_or_else(|| format!("a value matching the pattern {}", rule.regex)),
            anchored,
        })
    }

    /// A short non-empty value the pattern matches, preferring letters and
    /// digits, for the template of a column without an `example`; `None`
    /// when none is found within a small budget.
    pub fn sample(&self) -> Option<String> {
        use regex_automata::dfa::{Automaton, StartKind, dense};
        use regex_automata::{Anchored, Input};
        const SIZE: usize = 1 << 20;
        let dfa = dense::Builder::new()
            .configure(
                dense::Config::new()
                    .start_kind(StartKind::Anchored)
                    .dfa_size_limit(Some(SIZE))
                    .determinize_size_limit(Some(SIZE)),
            )
            .build(&self.anchored)
            .ok()?;
        let start = dfa
            .start_state_forward(&Input::new("").anchored(Anchored::Yes))
            .ok()?;
        // Bytes in order of preference, so that the first shortest value
        // found is a readable one.
        let nice = b"a0Aex1-._@ ";
        let order: Vec<u8> = nice
            .iter()
            .copied()
            .chain((0..=255u8).filter(|b| !nice.contains(b)))
            .collect();
        // Breadth first over paths of at least one byte: (state, its path's
        // previous entry, its last byte).
        let mut seen = ahash::AHashSet::new();
        let mut paths: Vec<(regex_automata::util::primitives::StateID, usize, u8)> = Vec::new();
        let mut at = usize::MAX;
        let mut next = 0;
        loop {
            let from = if at == usize::MAX { start } else { paths[at].0 };
            for &b in &order {
                let to = dfa.next_state(from, b);
                if dfa.is_dead_state(to) || dfa.is_quit_state(to) || !seen.insert(to) {
                    continue;
                }
                paths.push((to, at, b));
                if dfa.is_match_state(dfa.next_eoi_state(to)) {
                    let mut bytes = Vec::new();
                    let mut i = paths.len() - 1;
                    while i != usize::MAX {
                        bytes.push(paths[i].2);
                        i = paths[i].1;
                    }
                    bytes.reverse();
                    return String::from_utf8(bytes).ok();
                }
                if paths.len() > 100_000 {
                    return None;
                }
            }
            if next == paths.len() {
                return None;
            }
            at = next;
            next += 1;
        }
    }

    pub fn check(&self, value: &str) -> Result<(), Failure> {
        if self.regex.is_match(value) {
            return Ok(());
        }
        Err(Failure::new(
            ErrorCode::Pattern,
            format!("expected {}, found \"{value}\"", self.accepts()),
        ))
    }
}

/// The most threads (byte-consuming NFA states) matching `anchored` can
/// have alive at a character boundary, whatever the input, or more than
/// [`MAX_THREADS`]; `None` when that takes more than [`ANALYSIS_BUDGET`].
///
/// The NFA is run on "any character": every transition is taken, one whole
/// UTF-8 character at a time, so each step's set holds every thread any
/// real character could leave alive. Steps repeat once a set repeats.
fn threads(anchored: &str) -> Option<usize> {
    use regex_automata::nfa::thompson::NFA;
    let nfa = NFA::compiler()
        .configure(NFA::config().nfa_size_limit(Some(REGEX_SIZE_LIMIT)))
        .build(anchored)
        .ok()?;
    let mut budget = ANALYSIS_BUDGET;
    let mut current = closure(&nfa, vec![nfa.start_anchored()], &mut budget)?;
    let mut worst = current.len();
    let mut seen = ahash::AHashSet::new();
    while !current.is_empty() && worst <= MAX_THREADS && seen.insert(current.clone()) {
        current = any_char(&nfa, &current, &mut budget)?;
        worst = worst.max(current.len());
    }
    Some(worst)
}

type StateId = regex_automata::util::primitives::StateID;

/// The byte transitions of an NFA state, as `(first, last, next)`.
fn transitions(state: &regex_automata::nfa::thompson::State) -> Vec<(u8, u8, StateId)> {
    use regex_automata::nfa::thompson::State;
    match state {
        State::ByteRange { trans } => vec![(trans.start, trans.end, trans.next)],
        State::Sparse(sparse) => sparse
            .transitions
            .iter()
            .map(|t| (t.start, t.end, t.next))
            .collect(),
        State::Dense(dense) => {
            let mut out: Vec<(u8, u8, StateId)> = Vec::new();
            for (b, &next) in (0..=255u8).zip(dense.transitions.iter()) {
                if next == StateId::ZERO {
                    continue;
                }
                match out.last_mut() {
                    Some((_, end, to)) if *to == next && *end + 1 == b => *end = b,
                    _ => out.push((b, b, next)),
                }
            }
            out
        }
        _ => Vec::new(),
    }
}

/// The byte-consuming states reachable from `seeds` without consuming
/// (look-arounds taken as satisfied), sorted.
fn closure(
    nfa: &regex_automata::nfa::thompson::NFA,
    mut stack: Vec<StateId>,
    budget: &mut usize,
) -> Option<Vec<StateId>> {
    use regex_automata::nfa::thompson::State;
    let mut seen = ahash::AHashSet::new();
    let mut out = Vec::new();
    while let Some(id) = stack.pop() {
        if !seen.insert(id) {
            continue;
        }
        *budget = budget.checked_sub(1)?;
        match nfa.state(id) {
            State::ByteRange { .. } | State::Sparse(_) | State::Dense(_) => out.push(id),
            State::Look { next, .. } | State::Capture { next, .. } => stack.push(*next),
            State::Union { alternates } => stack.extend(alternates.iter().copied()),
            State::BinaryUnion { alt1, alt2 } => stack.extend([*alt1, *alt2]),
            State::Fail | State::Match { .. } => {}
        }
    }
    out.sort_unstable();
    Some(out)
}

/// The threads alive after any one character from `set`.
fn any_char(
    nfa: &regex_automata::nfa::thompson::NFA,
    set: &[StateId],
    budget: &mut usize,
) -> Option<Vec<StateId>> {
    // UTF-8 lead bytes and the continuation bytes that follow them.
    const LEADS: [(u8, u8, usize); 4] = [
        (0x00, 0x7F, 0),
        (0xC0, 0xDF, 1),
        (0xE0, 0xEF, 2),
        (0xF0, 0xF7, 3),
    ];
    let mut work: Vec<(StateId, usize)> = Vec::new();
    for &id in set {
        for (start, end, next) in transitions(nfa.state(id)) {
            *budget = budget.checked_sub(1)?;
            work.extend(
                LEADS
                    .iter()
                    .filter(|&&(lo, hi, _)| start <= hi && end >= lo)
                    .map(|&(_, _, more)| (next, more)),
            );
        }
    }
    let mut done = ahash::AHashSet::new();
    let mut ends = Vec::new();
    while let Some((id, more)) = work.pop() {
        if !done.insert((id, more)) {
            continue;
        }
        if more == 0 {
            ends.push(id);
            continue;
        }
        for state in closure(nfa, vec![id], budget)? {
            for (start, end, next) in transitions(nfa.state(state)) {
                *budget = budget.checked_sub(1)?;
                if start <= 0xBF && end >= 0x80 {
                    work.push((next, more - 1));
                }
            }
        }
    }
    closure(nfa, ends, budget)
}

/// A compiled `one_of` rule.
#[derive(Clone, Debug)]
pub(crate) struct OneOfCheck {
    values: Vec<String>,
    /// The values lower-cased once, for case-insensitive rules.
    lowered: Vec<String>,
    case_insensitive: bool,
    /// The values as compared (lower-cased when case does not matter),
    /// each packed into one word with its length, when all are ASCII of at
    /// most 8 bytes (language and country codes): one comparison a value.
    packed: Option<Vec<(u64, usize)>>,
}

/// `bytes` (at most 8) as one little-endian word, zero-padded.
fn pack(bytes: &[u8]) -> Option<(u64, usize)> {
    if bytes.len() > 8 {
        return None;
    }
    // Byte by byte: the values are short, and a copy of a variable length
    // would call `memcpy`.
    let word = bytes
        .iter()
        .enumerate()
        .fold(0, |word, (i, &b)| word | u64::from(b) << (8 * i));
    Some((word, bytes.len()))
}

impl OneOfCheck {
    /// What the rule accepts, as a noun phrase; the messages and the guide
    /// both say it this way.
    pub(crate) fn accepts(&self) -> String {
        let case = if self.case_insensitive {
            " (upper or lower case)"
        } else {
            ""
        };
        format!("one of {}{case}", self.values.join(", "))
    }

    pub fn compile(column: &str, rule: &OneOfRule) -> Result<OneOfCheck, SchemaError> {
        if rule.values.is_empty() {
            return Err(SchemaError::rule(column, "one_of needs at least one value"));
        }
        let lowered: Vec<String> = rule.values.iter().map(|v| v.to_lowercase()).collect();
        let compared = if rule.case_insensitive {
            &lowered
        } else {
            &rule.values
        };
        let packed = compared
            .iter()
            .map(|v| v.is_ascii().then(|| pack(v.as_bytes())).flatten())
            .collect();
        Ok(OneOfCheck {
            values: rule.values.clone(),
            lowered,
            case_insensitive: rule.case_insensitive,
            packed,
        })
    }

    /// The index of the listed value that `value` spells.
    fn position(&self, value: &str) -> Option<usize> {
        if let Some(packed) = &self.packed
            && value.is_ascii()
        {
            // Longer than every value: no match. A listed value's lower
            // case is itself, so folding the value's word is enough.
            let (mut word, len) = pack(value.as_bytes())?;
            if self.case_insensitive {
                word = ascii_lowercase_word(word);
            }
            return packed.iter().position(|&p| p == (word, len));
        }
        if !self.case_insensitive {
            return self.values.iter().position(|v| v == value);
        }
        if value.is_ascii() {
            // `lowered` has no ASCII upper case, so this equals comparing
            // `value.to_lowercase()`, without allocating.
            return self
                .lowered
                .iter()
                .position(|l| l.eq_ignore_ascii_case(value));
        }
        let lower = value.to_lowercase();
        self.lowered.iter().position(|l| *l == lower)
    }

    pub fn check(&self, value: &str) -> Result<(), Failure> {
        if self.position(value).is_some() {
            return Ok(());
        }
        Err(Failure::new(
            ErrorCode::OneOf,
            format!("expected {}, found \"{value}\"", self.accepts()),
        ))
    }

    /// The accepted spelling of a value.
    pub fn normalize(&self, value: &str) -> Option<String> {
        self.position(value).map(|i| self.values[i].clone())
    }

    pub fn example(&self) -> String {
        self.values[0].clone()
    }

    /// The accepted values.
    pub fn values(&self) -> &[String] {
        &self.values
    }
}

/// A compiled `length` rule, in characters.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LengthCheck {
    min: Option<usize>,
    max: Option<usize>,
}

impl LengthCheck {
    /// What the rule accepts, as a noun phrase; the messages and the guide
    /// both say it this way.
    pub(crate) fn accepts(&self) -> String {
        match (self.min, self.max) {
            (Some(min), Some(max)) if min == max => format!("exactly {min} characters"),
            (Some(min), Some(max)) => format!("{min} to {max} characters"),
            (Some(min), None) => format!("at least {min} characters"),
            (None, Some(max)) => format!("at most {max} characters"),
            (None, None) => "any length".to_string(),
        }
    }

    pub fn compile(column: &str, rule: &LengthRule) -> Result<LengthCheck, SchemaError> {
        if let (Some(min), Some(max)) = (rule.min, rule.max)
            && min > max
        {
            return Err(SchemaError::rule(
                column,
                format!("length min {min} is greater than max {max}"),
            ));
        }
        Ok(LengthCheck {
            min: rule.min,
            max: rule.max,
        })
    }

    pub fn check(&self, value: &str) -> Result<(), Failure> {
        // Byte length bounds the character count: skip counting when it cannot fail.
        let bytes = value.len();
        if self.min.is_none_or(|min| bytes >= min * 4) && self.max.is_none_or(|max| bytes <= max) {
            return Ok(());
        }
        let chars = value.chars().count();
        if self.min.is_none_or(|min| chars >= min) && self.max.is_none_or(|max| chars <= max) {
            return Ok(());
        }
        // A rule without bounds passed above.
        let expected = self.accepts();
        Err(Failure::new(
            ErrorCode::Length,
            format!(
                "expected {expected}, found {chars} character{}",
                if chars == 1 { "" } else { "s" }
            ),
        ))
    }

    pub fn example(&self) -> String {
        "x".repeat(self.min.unwrap_or(1).max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_is_anchored() {
        let c = PatternCheck::compile(
            "c",
            &PatternRule {
                regex: "E\\d{3}".into(),
                description: None,
            },
        )
        .unwrap();
        assert!(c.check("E123").is_ok());
        assert_eq!(c.check("xE123").unwrap_err().code, ErrorCode::Pattern);
        assert_eq!(c.check("E1234").unwrap_err().code, ErrorCode::Pattern);
    }

    #[test]
    fn bad_and_huge_patterns_fail_at_compile_time() {
        let err = PatternCheck::compile(
            "c",
            &PatternRule {
                regex: "(".into(),
                description: None,
            },
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("column \"c\": invalid pattern \"(\""),
            "{err}"
        );
        let err = PatternCheck::compile(
            "c",
            &PatternRule {
                regex: "\\w{1000}{1000}".into(),
                description: None,
            },
        )
        .unwrap_err();
        assert!(err.to_string().contains("too large"), "{err}");
    }

    #[test]
    fn patterns_are_refused_by_the_alternatives_they_follow() {
        let t = |p: &str| threads(&format!("^(?:{p})$"));
        // Honest patterns follow few alternatives, Unicode classes included.
        for (pattern, n) in [
            ("E-\\d{4,6}", 1),
            ("\\w{1,20}", 1),
            (".{0,1000}", 1),
            ("[\\p{L} '-]+", 1),
            ("[a-z0-9._%+-]+@[a-z0-9.-]+\\.[a-z]{2,}", 6),
            ("(?:\\+|00)\\d{1,3}[ \\d]{6,14}", 4),
            ("(?:a|a)*b", 2),
            ("\\bx\\b", 1),
        ] {
            assert_eq!(t(pattern), Some(n), "{pattern}");
        }
        // Counted repeats of ambiguous parts: the count stops past the cap.
        assert_eq!(t("(?:a|aa){0,60}b"), Some(61));
        assert!(t("(?:a|aa){0,4000}b").is_some_and(|n| n > MAX_THREADS));
        assert!(t("[ab]*a[ab]{200}").is_some_and(|n| n > MAX_THREADS));
    }

    #[test]
    fn one_of_case() {
        let german = OneOfCheck::compile(
            "c",
            &OneOfRule {
                values: vec!["Straße".into(), "ÄRZTE".into()],
                case_insensitive: true,
            },
        )
        .unwrap();
        assert!(german.check("straße").is_ok());
        assert!(german.check("ärzte").is_ok());
        assert_eq!(german.normalize("äRZTE").as_deref(), Some("ÄRZTE"));
        assert!(german.check("strasse").is_err());
        let c = OneOfCheck::compile(
            "c",
            &OneOfRule {
                values: vec!["en".into(), "nl".into()],
                case_insensitive: true,
            },
        )
        .unwrap();
        assert!(c.check("EN").is_ok());
        assert_eq!(c.normalize("NL").as_deref(), Some("nl"));
        let f = c.check("fr").unwrap_err();
        assert_eq!(
            (f.code, f.detail.as_str()),
            (
                ErrorCode::OneOf,
                "expected one of en, nl (upper or lower case), found \"fr\""
            )
        );
        let strict = OneOfCheck::compile(
            "c",
            &OneOfRule {
                values: vec!["en".into()],
                case_insensitive: false,
            },
        )
        .unwrap();
        assert!(strict.check("EN").is_err());
    }

    #[test]
    fn length_counts_characters() {
        let c = LengthCheck::compile(
            "c",
            &LengthRule {
                min: Some(1),
                max: Some(3),
            },
        )
        .unwrap();
        assert!(c.check("äöü").is_ok());
        assert_eq!(
            c.check("abcd").unwrap_err().detail,
            "expected 1 to 3 characters, found 4 characters"
        );
        assert!(c.check("").is_err());
        assert!(
            LengthCheck::compile(
                "c",
                &LengthRule {
                    min: Some(3),
                    max: Some(1)
                }
            )
            .is_err()
        );
    }

    #[test]
    fn one_of_packed_and_unpacked_agree() {
        let check = |values: &[&str], case_insensitive: bool| {
            OneOfCheck::compile(
                "c",
                &OneOfRule {
                    values: values.iter().map(|v| v.to_string()).collect(),
                    case_insensitive,
                },
            )
            .unwrap()
        };
        let short = ["en", "NL", "Deu", "pt-BR12"];
        let long = ["en", "NL", "Deu", "pt-BR12", "a value past eight bytes"];
        let probes = [
            "en", "EN", "nl", "NL", "deu", "DEU", "de", "", "e n", "pt-br12", "pt-BR12",
            "pt-BR123", "\u{212a}", "ÉN",
        ];
        for case_insensitive in [false, true] {
            let packed = check(&short, case_insensitive);
            let unpacked = check(&long, case_insensitive);
            assert!(packed.packed.is_some() && unpacked.packed.is_none());
            for probe in probes {
                assert_eq!(
                    packed.position(probe),
                    unpacked.position(probe),
                    "{probe:?}, case_insensitive {case_insensitive}"
                );
            }
        }
        let ci = check(&short, true);
        assert_eq!(
            ["EN", "nl", "dEU", "PT-br12", "de"].map(|p| ci.position(p)),
            [Some(0), Some(1), Some(2), Some(3), None]
        );
        let cs = check(&short, false);
        assert_eq!(
            ["en", "NL", "nl"].map(|p| cs.position(p)),
            [Some(0), Some(1), None]
        );
        // The Kelvin sign lower-cases to `k`: the Unicode path still runs.
        assert_eq!(check(&["k"], true).position("\u{212a}"), Some(0));
    }
}
