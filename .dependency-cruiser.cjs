/**
 * The layering the code keeps (README "How the code is laid out"), checked by `npm run lint:deps`
 * on every CI run:
 *
 *   config/  ←  core/  ←  adapters/, certs/  ←  gateway/  ←  central-sim/, bench/
 *
 * Lower layers never import higher ones, vendor fronts never import each other, the request
 * pipeline never imports the listener that calls it, and nothing outside tests forms an import
 * cycle.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'Modules import each other in a circle: one of them belongs lower down.',
      from: { pathNot: '^test/' },
      to: { circular: true },
    },
    {
      name: 'config-is-the-bottom',
      severity: 'error',
      comment: 'config/ reads settings; it imports no other area.',
      from: { path: '^config/' },
      to: { path: '^(core|adapters|certs|gateway|central-sim|bench)/' },
    },
    {
      name: 'core-is-the-floor',
      severity: 'error',
      comment: 'core/ is the ground floor: it imports config/ and node only.',
      from: { path: '^core/' },
      to: { path: '^(adapters|certs|gateway|central-sim|bench)/' },
    },
    {
      name: 'adapters-stand-on-core',
      severity: 'error',
      comment: 'Fronts and the national contract library import core/ (and config/) only.',
      from: { path: '^adapters/' },
      to: { path: '^(certs|gateway|central-sim|bench)/' },
    },
    {
      name: 'adapters-are-contracts',
      severity: 'error',
      comment: 'adapters/ translates and checks; it keeps no state. Store access, admin routes and CLI verbs (the units service included) live in gateway/<area>/.',
      from: { path: '^adapters/' },
      to: { path: '^core/(store/|admin-module\\.ts$|cli-output\\.ts$)' },
    },
    {
      name: 'fronts-are-independent',
      severity: 'error',
      comment: 'A vendor front never imports another front: what two fronts share lives in a shared folder (legacy-hoso/, xml/, text/, national/).',
      from: { path: '^adapters/(vendor-[^/]+|json|excel)/' },
      to: { path: '^adapters/(vendor-[^/]+|json|excel)/', pathNot: '^adapters/$1/' },
    },
    {
      name: 'certs-stand-on-core',
      severity: 'error',
      comment: 'The PKI imports core/ (and config/) only.',
      from: { path: '^certs/' },
      to: { path: '^(adapters|gateway|central-sim|bench)/' },
    },
    {
      name: 'gateway-below-tools',
      severity: 'error',
      comment: 'The running service never imports the simulator or the benchmarks.',
      from: { path: '^gateway/', pathNot: '^gateway/cli/' },
      to: { path: '^(central-sim|bench)/' },
    },
    {
      name: 'simulator-stands-apart',
      severity: 'error',
      comment: 'The central simulator is an outside party: it uses core/, config/ and the PKI, and opens the gateway\'s context (same data directory and CA) through gateway/context.ts only.',
      from: { path: '^central-sim/' },
      to: { path: '^(adapters|bench)/|^gateway/(?!context\\.ts$)' },
    },
    {
      name: 'pipeline-below-listener',
      severity: 'error',
      comment: 'The request pipeline is called by the data plane, never the other way round.',
      from: { path: '^gateway/pipeline/' },
      to: { path: '^gateway/dataplane/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
  },
};
