/** Every bare import of the relay bundle: what a relay installation installs beside relay.mjs. */
export declare const RELAY_RUNTIME_PACKAGES: readonly string[];
