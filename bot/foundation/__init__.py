"""Foundation: what every room uses: typed settings (`settings`), locale texts (`i18n`),
logging (`logs`), report periods (`periods`) and the working calendar (`workcalendar`).

Imports only knowledge/ (its texts machinery and the knowledge settings) and nothing else of bot/."""
