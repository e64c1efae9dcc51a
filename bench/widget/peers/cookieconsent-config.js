// vanilla-cookieconsent 3.1.0 as its "Getting started" page sets it up: the stylesheet in
// <head>, this module at the end of <body>, importing the UMD build and calling run() with three
// categories and one language. Nothing is tuned for the benchmark.
import '/assets/cookieconsent.umd.js';

CookieConsent.run({
  categories: {
    necessary: { enabled: true, readOnly: true },
    analytics: { autoClear: { cookies: [{ name: /^_bench_a/ }] } },
    marketing: { autoClear: { cookies: [{ name: '_bench_m' }] } }
  },
  language: {
    default: 'en',
    translations: {
      en: {
        consentModal: {
          title: 'We use cookies',
          description: 'Necessary cookies keep the site working. With your consent we also use analytics and marketing cookies. <a href="/privacy">Privacy policy</a>',
          acceptAllBtn: 'Accept all',
          acceptNecessaryBtn: 'Reject all',
          showPreferencesBtn: 'Customize'
        },
        preferencesModal: {
          title: 'Cookie preferences',
          acceptAllBtn: 'Accept all',
          acceptNecessaryBtn: 'Reject all',
          savePreferencesBtn: 'Save',
          closeIconLabel: 'Close',
          sections: [
            { title: 'Necessary', description: 'Needed for the site to work and stay secure.', linkedCategory: 'necessary' },
            { title: 'Analytics', description: 'Help us count visits to the site.', linkedCategory: 'analytics' },
            { title: 'Marketing', description: 'Showing and measuring ads.', linkedCategory: 'marketing' },
            { title: 'More information', description: 'Questions: <a href="mailto:privacy@bench.kz">privacy@bench.kz</a>.' }
          ]
        }
      }
    }
  }
});
