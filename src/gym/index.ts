// Gymnasium environments from the user's Python (Node only). Importing this module registers the 'gym:'
// env provider, after which every function that takes an env id accepts 'gym:<id>'.
export { applyGymSettings, configureGymEnv, gymEnvOptions, gymSettings, setGymDefaults, GYM_PREFIX, type GymSettings } from './provider.js';
export { bridgePython, bridgeScript, BRIDGE_PROTOCOL, type GymEnvOptions } from './bridge.js';
