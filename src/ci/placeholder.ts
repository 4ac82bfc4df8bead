/** The value a missing setting gets: the detect job's first step fails on it with a message. */
export const PLACEHOLDER = 'REPLACE_ME';
