/** Users' own Matrix accounts in their portals: double puppets. */
export {
  DOUBLE_PUPPET_SOURCE,
  DoublePuppetLoginError,
  DoublePuppets,
  type DoublePuppetOptions,
  type DoublePuppetTokens,
  TOKEN_PLACEHOLDER,
} from "./double-puppets.js";
export { PersonalSpaces, type PersonalSpacesOptions } from "./personal-spaces.js";
