import fc from 'fast-check';

// Stryker judges each mutant by one run of the tests that cover it. With random property inputs a mutant
// could be killed in one run and survive the next, and check-survivors would then fail on an entry that is
// stale only by chance: every mutation run draws the same inputs. `npm test` keeps random seeds, so it
// still explores new inputs; a counterexample it finds goes into the property's `examples`.
fc.configureGlobal({ seed: 20261201 });
