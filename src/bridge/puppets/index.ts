/** Users' own Matrix accounts in their portals: double puppets. */
export { DOUBLE_PUPPET_SOURCE, DoublePuppets, type DoublePuppetOptions } from "./double-puppets.js";
