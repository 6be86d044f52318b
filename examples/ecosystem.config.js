// PM2's format, read by tend as is:  tend start examples/ecosystem.config.js
// (add --env production to use env_production).
module.exports = {
  apps: [
    {
      name: 'web',
      script: 'web.js',
      instances: 2,
      exec_mode: 'cluster', // both instances on one port, which tend binds once
      env: { PORT: 3001, GREETING: 'hello' },
      env_production: { GREETING: 'hello from production' },
      kill_timeout: 3000,
    },
    {
      name: 'ticker',
      script: 'ticker.py',
      autorestart: 'on-failure',
    },
  ],
};
