// orejime 3.2.1 as its README sets it up: `window.orejimeConfig` with the required options
// (purposes, privacyPolicyUrl), then the standard theme's English build and its stylesheet.
// Three purposes like the other pages; nothing is tuned for the benchmark.
window.orejimeConfig = {
  privacyPolicyUrl: '/privacy',
  purposes: [
    { id: 'necessary', title: 'Necessary', description: 'Needed for the site to work and stay secure.', cookies: ['session'], isMandatory: true },
    { id: 'analytics', title: 'Analytics', description: 'Help us count visits to the site.', cookies: [/^_bench_a/] },
    { id: 'marketing', title: 'Marketing', description: 'Showing and measuring ads.', cookies: ['_bench_m'] }
  ]
};
