//! Planning: from a canonical listing to the payload the platform will accept. For now this holds
//! the platform rules, which the sandbox shares, so both judge a payload the same way.

pub mod rules;
