<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="ru_RU" sourcelanguage="en">
<context>
    <name>AboutDialog</name>
    <message>
        <source>About b24monitor</source>
        <translation>О программе b24monitor</translation>
    </message>
    <message>
        <source>Watches, verifies and stores Bitrix24 event deliveries.</source>
        <translation>Принимает, проверяет и хранит доставки событий Битрикс24.</translation>
    </message>
    <message>
        <source>Open folder</source>
        <translation>Открыть папку</translation>
    </message>
    <message>
        <source>Qt %1 · PySide6 %2</source>
        <translation>Qt %1 · PySide6 %2</translation>
    </message>
    <message>
        <source>Data folder:</source>
        <translation>Папка данных:</translation>
    </message>
</context>
<context>
    <name>AppSettingsItem</name>
    <message>
        <source>app settings stale ⚠</source>
        <translation>настройки приложения устарели ⚠</translation>
    </message>
    <message>
        <source>copy</source>
        <translation>копировать</translation>
    </message>
    <message>
        <source>Copy the new handler URL for the app&apos;s settings</source>
        <translation>Скопировать новый адрес обработчика для настроек приложения</translation>
    </message>
    <message>
        <source>The app&apos;s settings in the portal still send installs and reinstalls to %1: set its “Handler path” and “Initial installation path” to %2 and save (a reserved ngrok domain keeps the URL from changing).</source>
        <translation>Настройки приложения на портале по-прежнему отправляют установки и переустановки на %1: укажите в его «Путь вашего обработчика» и «Путь для первоначальной установки» адрес %2 и сохраните (зарезервированный домен ngrok не даёт адресу меняться).</translation>
    </message>
    <message>
        <source>Copy puts the new handler URL on the clipboard.</source>
        <translation>«Копировать» кладёт новый адрес обработчика в буфер обмена.</translation>
    </message>
</context>
<context>
    <name>AppStepsPage</name>
    <message>
        <source>Create a local application in Bitrix24</source>
        <translation>Создайте локальное приложение в Битрикс24</translation>
    </message>
    <message>
        <source>In the portal, as an administrator:</source>
        <translation>На портале, под администратором:</translation>
    </message>
    <message>
        <source>&lt;ol&gt;&lt;li&gt;Open &lt;b&gt;Applications → Developer resources → Other → Local application&lt;/b&gt;.&lt;/li&gt;&lt;li&gt;Choose &lt;b&gt;Server&lt;/b&gt; and tick &lt;b&gt;Uses only API&lt;/b&gt;.&lt;/li&gt;&lt;li&gt;Tick the permissions (scopes) you want events for, e.g. &lt;b&gt;CRM (crm)&lt;/b&gt;, &lt;b&gt;Tasks (task)&lt;/b&gt;, &lt;b&gt;Users (user)&lt;/b&gt;, &lt;b&gt;Calendar (calendar)&lt;/b&gt;.&lt;/li&gt;&lt;li&gt;Paste this handler URL into both &lt;b&gt;Your handler path&lt;/b&gt; and &lt;b&gt;Initial installation path&lt;/b&gt;:&lt;/li&gt;&lt;/ol&gt;</source>
        <translation>&lt;ol&gt;&lt;li&gt;Откройте &lt;b&gt;Приложения → Разработчикам → Другое → Локальное приложение&lt;/b&gt;.&lt;/li&gt;&lt;li&gt;Выберите &lt;b&gt;Серверное&lt;/b&gt; и отметьте &lt;b&gt;Использует только API&lt;/b&gt;.&lt;/li&gt;&lt;li&gt;Отметьте права доступа (scope) для нужных событий, например &lt;b&gt;CRM (crm)&lt;/b&gt;, &lt;b&gt;Задачи (task)&lt;/b&gt;, &lt;b&gt;Пользователи (user)&lt;/b&gt;, &lt;b&gt;Календарь (calendar)&lt;/b&gt;.&lt;/li&gt;&lt;li&gt;Вставьте этот адрес обработчика в оба поля: &lt;b&gt;Путь вашего обработчика&lt;/b&gt; и &lt;b&gt;Путь для первоначальной установки&lt;/b&gt;:&lt;/li&gt;&lt;/ol&gt;</translation>
    </message>
    <message>
        <source>Save. The portal installs the app at once (b24monitor keeps that install for it) and shows the &lt;b&gt;Application ID&lt;/b&gt; (client_id) and the &lt;b&gt;Application key&lt;/b&gt; (client_secret): you paste them on the next page.</source>
        <translation>Сохраните. Портал сразу установит приложение (b24monitor сохранит эту установку для него) и покажет &lt;b&gt;код приложения&lt;/b&gt; (client_id) и &lt;b&gt;ключ приложения&lt;/b&gt; (client_secret) — их нужно вставить на следующей странице.</translation>
    </message>
</context>
<context>
    <name>ApproveBox</name>
    <message>
        <source>Approve in the browser</source>
        <translation>Подтвердить в браузере</translation>
    </message>
    <message>
        <source>Nothing after a minute? Open the application once in the portal, or enter the portal&apos;s address and approve it in the browser:</source>
        <translation>Прошла минута, а установки нет? Откройте приложение на портале ещё раз или введите адрес портала и подтвердите доступ в браузере:</translation>
    </message>
</context>
<context>
    <name>AttemptsTab</name>
    <message>
        <source>time</source>
        <translation>время</translation>
    </message>
    <message>
        <source>kind</source>
        <translation>вид</translation>
    </message>
    <message>
        <source>variant</source>
        <translation>вариант</translation>
    </message>
    <message>
        <source>target</source>
        <translation>адрес</translation>
    </message>
    <message>
        <source>status</source>
        <translation>статус</translation>
    </message>
    <message>
        <source>latency</source>
        <translation>задержка</translation>
    </message>
    <message>
        <source>error</source>
        <translation>ошибка</translation>
    </message>
    <message>
        <source>Select an attempt to see the handler&apos;s answer</source>
        <translation>Выберите попытку, чтобы увидеть ответ обработчика</translation>
    </message>
    <message>
        <source>No event selected</source>
        <translation>Событие не выбрано</translation>
    </message>
    <message>
        <source>Not forwarded or replayed yet: Ctrl+R replays it to the forward target</source>
        <translation>Ещё не пересылалось и не повторялось: Ctrl+R повторит его на адрес пересылки</translation>
    </message>
    <message>
        <source>%1 attempts</source>
        <translation>Попыток: %1</translation>
    </message>
    <message>
        <source>(the answer was cut at the size limit)</source>
        <translation>(ответ обрезан по ограничению размера)</translation>
    </message>
</context>
<context>
    <name>CaptureTray</name>
    <message>
        <source>Open b24monitor</source>
        <translation>Открыть b24monitor</translation>
    </message>
    <message>
        <source>Stop capturing and quit</source>
        <translation>Остановить приём и выйти</translation>
    </message>
    <message>
        <source>b24monitor</source>
        <translation>b24monitor</translation>
    </message>
    <message>
        <source>b24monitor is capturing in the background; new events: %1</source>
        <translation>b24monitor принимает события в фоне: новых — %1</translation>
    </message>
</context>
<context>
    <name>CheckSetupDialog</name>
    <message>
        <source>Check setup</source>
        <translation>Проверка настройки</translation>
    </message>
    <message>
        <source>Result</source>
        <translation>Итог</translation>
    </message>
    <message>
        <source>Check</source>
        <translation>Проверка</translation>
    </message>
    <message>
        <source>What it means</source>
        <translation>Что это значит</translation>
    </message>
    <message>
        <source>Run again</source>
        <translation>Проверить снова</translation>
    </message>
    <message>
        <source>Checking the setup with the portal…</source>
        <translation>Проверяем настройку вместе с порталом…</translation>
    </message>
    <message numerus="yes">
        <source>%n check(s) failed: fix those first.</source>
        <translation>
            <numerusform>%n проверка не прошла: сначала исправьте её.</numerusform>
            <numerusform>%n проверки не прошли: сначала исправьте их.</numerusform>
            <numerusform>%n проверок не прошли: сначала исправьте их.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Nothing failed; %n warning(s) to look at.</source>
        <translation>
            <numerusform>Ошибок нет; %n предупреждение стоит посмотреть.</numerusform>
            <numerusform>Ошибок нет; %n предупреждения стоит посмотреть.</numerusform>
            <numerusform>Ошибок нет; %n предупреждений стоит посмотреть.</numerusform>
        </translation>
    </message>
    <message>
        <source>Everything checked out.</source>
        <translation>Всё в порядке.</translation>
    </message>
</context>
<context>
    <name>ChoicePage</name>
    <message>
        <source>Connect a portal</source>
        <translation>Подключение портала</translation>
    </message>
    <message>
        <source>How should b24monitor receive your portal&apos;s events?</source>
        <translation>Как b24monitor будет получать события портала?</translation>
    </message>
    <message>
        <source>Local application (recommended)</source>
        <translation>Локальное приложение (рекомендуется)</translation>
    </message>
    <message>
        <source>b24monitor binds the events you tick, reads the offline queue and verifies every delivery. Needs a portal administrator.</source>
        <translation>b24monitor сам подписывается на отмеченные события, читает офлайн-очередь и проверяет каждую доставку. Нужен администратор портала.</translation>
    </message>
    <message>
        <source>Outgoing webhook</source>
        <translation>Исходящий вебхук</translation>
    </message>
    <message>
        <source>Receive from a webhook you set up in the portal by hand; events cannot be bound from here.</source>
        <translation>Приём от вебхука, настроенного на портале вручную; подписываться на события отсюда нельзя.</translation>
    </message>
    <message>
        <source>Try without a portal</source>
        <translation>Попробовать без портала</translation>
    </message>
    <message>
        <source>A simulated portal on this computer sends realistic events.</source>
        <translation>Имитация портала на этом компьютере присылает правдоподобные события.</translation>
    </message>
</context>
<context>
    <name>CloseQuestion</name>
    <message>
        <source>Close b24monitor</source>
        <translation>Закрыть b24monitor</translation>
    </message>
    <message>
        <source>Keep receiving events after the window closes?</source>
        <translation>Продолжать принимать события после закрытия окна?</translation>
    </message>
    <message>
        <source>In the background b24monitor keeps answering Bitrix24 and storing events; open it again to see them. Stopping means deliveries meanwhile are refused.</source>
        <translation>В фоне b24monitor продолжает отвечать Битрикс24 и сохранять события; откройте его снова, чтобы их увидеть. Если остановить приём, доставки в это время будут отклонены.</translation>
    </message>
    <message>
        <source>Keep capturing in the background</source>
        <translation>Принимать в фоне</translation>
    </message>
    <message>
        <source>Stop capturing</source>
        <translation>Остановить приём</translation>
    </message>
    <message>
        <source>Remember my choice</source>
        <translation>Запомнить выбор</translation>
    </message>
</context>
<context>
    <name>ConnectWizard</name>
    <message>
        <source>Connect a portal</source>
        <translation>Подключение портала</translation>
    </message>
    <message>
        <source>Waiting for the installation</source>
        <translation>Ожидание установки</translation>
    </message>
    <message>
        <source>Starting the sandbox portal</source>
        <translation>Запуск тестового портала</translation>
    </message>
    <message>
        <source>Profile “%1” receives from the outgoing webhook; every delivery is checked against its application token.</source>
        <translation>Профиль «%1» принимает события исходящего вебхука; каждая доставка сверяется с его токеном приложения.</translation>
    </message>
    <message>
        <source>Taking over the installation the portal sent when you saved the app… If it does not come, open the application in Bitrix24 (or reinstall it). You can close this window; b24monitor keeps listening.</source>
        <translation>Принимаем установку, которую портал отправил при сохранении приложения… Если её нет, откройте приложение в Битрикс24 (или переустановите его). Это окно можно закрыть — b24monitor продолжит ждать.</translation>
    </message>
    <message>
        <source>Starting a simulated portal on this computer…</source>
        <translation>Запускаем имитацию портала на этом компьютере…</translation>
    </message>
    <message>
        <source>Installing b24monitor&apos;s application on the simulated portal…</source>
        <translation>Устанавливаем приложение b24monitor на имитацию портала…</translation>
    </message>
    <message>
        <source>The simulated portal %1 is sending events: watch them arrive in the list, and tick more in the Subscriptions dock.</source>
        <translation>Имитация портала %1 присылает события: они появляются в списке. Другие события можно отметить на панели «Подписки».</translation>
    </message>
    <message>
        <source>Connected to %1. Tick the events you want in the Subscriptions dock; they are bound in one batch.</source>
        <translation>Портал %1 подключён. Отметьте нужные события на панели «Подписки» — подписка оформляется одним пакетом.</translation>
    </message>
</context>
<context>
    <name>ConsumeBar</name>
    <message>
        <source>Clear them</source>
        <translation>Удалить их</translation>
    </message>
    <message>
        <source>Delete the reserved rows from the queue (processed)</source>
        <translation>Удалить зарезервированные записи из очереди (обработаны)</translation>
    </message>
    <message>
        <source>Mark selected as error, clear the rest</source>
        <translation>Выбранные — в ошибки, остальные удалить</translation>
    </message>
    <message>
        <source>Selected rows get ERROR=1 and stay in the queue; the rest are cleared</source>
        <translation>Выбранные записи получат ERROR=1 и останутся в очереди, остальные будут удалены</translation>
    </message>
    <message>
        <source>Put all back</source>
        <translation>Вернуть все</translation>
    </message>
    <message>
        <source>Nothing is deleted: every reserved row is marked as error (see Errored)</source>
        <translation>Ничего не удаляется: все зарезервированные записи помечаются как ошибочные (см. «Только ошибки»)</translation>
    </message>
    <message>
        <source>This plan cannot reserve rows (no rest_offline_extended): use Fetch and clear, which deletes rows as it reads.</source>
        <translation>На этом тарифе резервировать записи нельзя (нет rest_offline_extended): используйте «Забрать и удалить» — записи удаляются при чтении.</translation>
    </message>
    <message>
        <source>Put back: the rows are marked as errors; see Errored only.</source>
        <translation>Возвращено: записи помечены как ошибочные, см. «Только ошибки».</translation>
    </message>
    <message>
        <source>Nothing to consume: the queue is empty.</source>
        <translation>Забирать нечего: очередь пуста.</translation>
    </message>
    <message>
        <source>Cleared: %1, marked as error: %2.</source>
        <translation>Удалено: %1, помечено как ошибка: %2.</translation>
    </message>
    <message>
        <source>%1 rows reserved for you (hidden from other consumers). Look at them, then:</source>
        <translation>Зарезервировано записей: %1 (другие обработчики их не видят). Просмотрите их, затем:</translation>
    </message>
</context>
<context>
    <name>CoverageStrip</name>
    <message>
        <source>Capture coverage, last 10 minutes</source>
        <translation>Покрытие приёма за последние 10 минут</translation>
    </message>
    <message>
        <source>Covered: every delivery could reach b24monitor</source>
        <translation>Покрыто: любая доставка могла дойти до b24monitor</translation>
    </message>
    <message>
        <source>Not covered: %1</source>
        <translation>Не покрыто: %1</translation>
    </message>
    <message>
        <source>%1 missed event(s) recovered</source>
        <translation>Восстановлено пропущенных событий: %1</translation>
    </message>
</context>
<context>
    <name>DetailPane</name>
    <message>
        <source>Open in portal ↗</source>
        <translation>Открыть на портале ↗</translation>
    </message>
    <message>
        <source>key</source>
        <translation>ключ</translation>
    </message>
    <message>
        <source>value</source>
        <translation>значение</translation>
    </message>
    <message>
        <source>Reveal secrets (until another event is shown)</source>
        <translation>Показать секреты (до выбора другого события)</translation>
    </message>
    <message>
        <source>Tree</source>
        <translation>Дерево</translation>
    </message>
    <message>
        <source>JSON</source>
        <translation>JSON</translation>
    </message>
    <message>
        <source>Raw</source>
        <translation>Как пришло</translation>
    </message>
    <message>
        <source>Auth</source>
        <translation>Авторизация</translation>
    </message>
    <message>
        <source>Checks</source>
        <translation>Проверки</translation>
    </message>
    <message>
        <source>No event selected</source>
        <translation>Событие не выбрано</translation>
    </message>
    <message>
        <source>Pick a row; Enter moves here, Esc goes back.</source>
        <translation>Выберите строку; Enter — перейти сюда, Esc — вернуться.</translation>
    </message>
    <message>
        <source>(no event code)</source>
        <translation>(нет кода события)</translation>
    </message>
    <message>
        <source>✖ malformed: %1</source>
        <translation>✖ не разобрано: %1</translation>
    </message>
    <message>
        <source>✔ token matches: sent by %1</source>
        <translation>✔ токен совпадает: отправитель %1</translation>
    </message>
    <message>
        <source>✔ token matches: application_token is the one known for the portal</source>
        <translation>✔ токен совпадает: application_token тот, что известен для портала</translation>
    </message>
    <message>
        <source>✖ mismatch: application_token is none of those known for the portal</source>
        <translation>✖ не совпадает: application_token не из известных для портала</translation>
    </message>
    <message>
        <source>– no token known yet for this portal: it is learned from ONAPPINSTALL, or set it by hand to verify deliveries</source>
        <translation>– токен этого портала пока неизвестен: он берётся из ONAPPINSTALL, или задайте его вручную, чтобы проверять доставки</translation>
    </message>
    <message>
        <source>delay %1</source>
        <translation>задержка %1</translation>
    </message>
    <message>
        <source>pinned</source>
        <translation>закреплено</translation>
    </message>
    <message>
        <source>The body did not decode: %1</source>
        <translation>Тело не разобрано: %1</translation>
    </message>
    <message>
        <source>A secret: masked unless Reveal is on</source>
        <translation>Секрет: скрыт, пока не включено «Показать секреты»</translation>
    </message>
</context>
<context>
    <name>DiffDialog</name>
    <message>
        <source>Compare #%1 → #%2</source>
        <translation>Сравнение #%1 → #%2</translation>
    </message>
    <message>
        <source>change</source>
        <translation>изменение</translation>
    </message>
    <message>
        <source>path</source>
        <translation>путь</translation>
    </message>
    <message>
        <source>before</source>
        <translation>было</translation>
    </message>
    <message>
        <source>after</source>
        <translation>стало</translation>
    </message>
    <message>
        <source>Event #%1 could not be decoded, so it has no payload to compare.</source>
        <translation>Событие #%1 не удалось разобрать, сравнивать нечего.</translation>
    </message>
    <message>
        <source>%1 differences</source>
        <translation>Различий: %1</translation>
    </message>
    <message>
        <source>No differences (tokens and auth.expires are not compared).</source>
        <translation>Различий нет (токены и auth.expires не сравниваются).</translation>
    </message>
    <message>
        <source>added</source>
        <translation>добавлено</translation>
    </message>
    <message>
        <source>removed</source>
        <translation>удалено</translation>
    </message>
    <message>
        <source>changed</source>
        <translation>изменено</translation>
    </message>
</context>
<context>
    <name>DonePage</name>
    <message>
        <source>Connected</source>
        <translation>Подключено</translation>
    </message>
</context>
<context>
    <name>EventActionsBar</name>
    <message>
        <source>Copy as curl</source>
        <translation>Копировать как curl</translation>
    </message>
    <message>
        <source>Copy the event as a curl command (Ctrl+Shift+C)</source>
        <translation>Скопировать событие как команду curl (Ctrl+Shift+C)</translation>
    </message>
    <message>
        <source>Replay ▾</source>
        <translation>Повторить ▾</translation>
    </message>
    <message>
        <source>As recorded (Ctrl+R)</source>
        <translation>Как записано (Ctrl+R)</translation>
    </message>
    <message>
        <source>Without application_token</source>
        <translation>Без application_token</translation>
    </message>
    <message>
        <source>Edit first…</source>
        <translation>С правкой…</translation>
    </message>
</context>
<context>
    <name>EventCommands</name>
    <message>
        <source>Forwarding</source>
        <translation>Пересылка</translation>
    </message>
    <message>
        <source>Replay to forward target</source>
        <translation>Повторить на адрес пересылки</translation>
    </message>
    <message>
        <source>Copy as curl</source>
        <translation>Копировать как curl</translation>
    </message>
    <message>
        <source>Compare</source>
        <translation>Сравнить</translation>
    </message>
    <message>
        <source>Select an event to copy as curl</source>
        <translation>Выберите событие, чтобы скопировать его как curl</translation>
    </message>
    <message>
        <source>Copied as curl</source>
        <translation>Скопировано как curl</translation>
    </message>
    <message>
        <source>Copied as curl (tokens masked)</source>
        <translation>Скопировано как curl (токены скрыты)</translation>
    </message>
    <message>
        <source>Select the events to replay</source>
        <translation>Выберите события для повтора</translation>
    </message>
    <message>
        <source>No forward target is set: add one in Settings → Forwarding, then restart</source>
        <translation>Адрес пересылки не задан: укажите его в Настройках → Пересылка и перезапустите программу</translation>
    </message>
    <message>
        <source>Some events match no forward route</source>
        <translation>Часть событий не подходит ни под один маршрут пересылки</translation>
    </message>
    <message>
        <source>Nothing was replayed</source>
        <translation>Ничего не повторено</translation>
    </message>
    <message>
        <source>Replay failed: %1</source>
        <translation>Повтор не удался: %1</translation>
    </message>
    <message>
        <source>Replayed %1 events; the handler answered %2</source>
        <translation>Повторено событий: %1; обработчик ответил %2</translation>
    </message>
    <message>
        <source>Select one or two events to compare</source>
        <translation>Выберите одно или два события для сравнения</translation>
    </message>
    <message>
        <source>Event #%1 has no earlier delivery for the same entity</source>
        <translation>У события #%1 нет более ранней доставки для той же сущности</translation>
    </message>
    <message>
        <source>Compare (Ctrl+D)</source>
        <translation>Сравнить (Ctrl+D)</translation>
    </message>
    <message>
        <source>Compare with previous delivery of this entity (Ctrl+D)</source>
        <translation>Сравнить с предыдущей доставкой этой сущности (Ctrl+D)</translation>
    </message>
</context>
<context>
    <name>EventTableModel</name>
    <message>
        <source>time</source>
        <translation>время</translation>
    </message>
    <message>
        <source>When the delivery arrived</source>
        <translation>Когда пришла доставка</translation>
    </message>
    <message>
        <source>event</source>
        <translation>событие</translation>
    </message>
    <message>
        <source>Event code</source>
        <translation>Код события</translation>
    </message>
    <message>
        <source>entity</source>
        <translation>объект</translation>
    </message>
    <message>
        <source>The object the event is about (data.FIELDS.ID)</source>
        <translation>Объект, к которому относится событие (data.FIELDS.ID)</translation>
    </message>
    <message>
        <source>portal</source>
        <translation>портал</translation>
    </message>
    <message>
        <source>Portal domain</source>
        <translation>Домен портала</translation>
    </message>
    <message>
        <source>user</source>
        <translation>польз.</translation>
    </message>
    <message>
        <source>User who fired the event (empty: a robot)</source>
        <translation>Пользователь, вызвавший событие (пусто — робот)</translation>
    </message>
    <message>
        <source>Token: ✔ matches, ✖ mismatch, – unknown</source>
        <translation>Токен: ✔ совпадает, ✖ не совпадает, – неизвестен</translation>
    </message>
    <message>
        <source>Checks that tripped (the detail&apos;s Checks tab)</source>
        <translation>Сработавшие проверки (вкладка «Проверки» справа)</translation>
    </message>
    <message>
        <source>status</source>
        <translation>статус</translation>
    </message>
    <message>
        <source>ok, malformed (did not decode) or rejected</source>
        <translation>ok, не разобрано или отклонено</translation>
    </message>
    <message>
        <source>size</source>
        <translation>размер</translation>
    </message>
    <message>
        <source>Body size</source>
        <translation>Размер тела</translation>
    </message>
    <message>
        <source>delay</source>
        <translation>задержка</translation>
    </message>
    <message>
        <source>Queue lag: received time minus the delivery&apos;s ts</source>
        <translation>Задержка очереди: время получения минус ts доставки</translation>
    </message>
    <message>
        <source>ok</source>
        <translation>ok</translation>
    </message>
    <message>
        <source>malformed</source>
        <translation>не разобрано</translation>
    </message>
    <message>
        <source>rejected</source>
        <translation>отклонено</translation>
    </message>
    <message>
        <source>token matches</source>
        <translation>токен совпадает</translation>
    </message>
    <message>
        <source>token mismatch</source>
        <translation>токен не совпадает</translation>
    </message>
    <message>
        <source>no token known for this portal yet</source>
        <translation>токен этого портала пока неизвестен</translation>
    </message>
    <message>
        <source>Open in the portal (click or Ctrl+O): %1</source>
        <translation>Открыть на портале (щелчок или Ctrl+O): %1</translation>
    </message>
    <message>
        <source>This event was removed from the store.</source>
        <translation type="vanished">Это событие удалено из хранилища.</translation>
    </message>
    <message>
        <source>(removed)</source>
        <translation type="vanished">(удалено)</translation>
    </message>
    <message>
        <source>#%1 received %2</source>
        <translation type="vanished">№%1 получено %2</translation>
    </message>
</context>
<context>
    <name>ExportDialog</name>
    <message>
        <source>Export events</source>
        <translation>Экспорт событий</translation>
    </message>
    <message>
        <source>Reveal secrets (tokens are masked otherwise)</source>
        <translation>Показать секреты (иначе токены скрыты)</translation>
    </message>
    <message>
        <source>Export</source>
        <translation>Экспорт</translation>
    </message>
    <message>
        <source>The filtered view — rows: %1</source>
        <translation>Отфильтрованный список — строк: %1</translation>
    </message>
    <message>
        <source>The selection — rows: %1</source>
        <translation>Выделенное — строк: %1</translation>
    </message>
    <message>
        <source>Every stored event</source>
        <translation>Все сохранённые события</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>Обзор…</translation>
    </message>
    <message>
        <source>Format:</source>
        <translation>Формат:</translation>
    </message>
    <message>
        <source>Events:</source>
        <translation>События:</translation>
    </message>
    <message>
        <source>File:</source>
        <translation>Файл:</translation>
    </message>
    <message>
        <source>Exporting…</source>
        <translation>Экспорт…</translation>
    </message>
    <message>
        <source>Cancelled; no file was written.</source>
        <translation>Отменено; файл не записан.</translation>
    </message>
    <message>
        <source>Choose a file to write.</source>
        <translation>Выберите файл для записи.</translation>
    </message>
    <message>
        <source>Export to</source>
        <translation>Экспортировать в</translation>
    </message>
</context>
<context>
    <name>FilterBar</name>
    <message>
        <source>Filter: event:ONCRMDEAL* verified:no  (Ctrl+F)</source>
        <translation>Фильтр: event:ONCRMDEAL* verified:no  (Ctrl+F)</translation>
    </message>
    <message>
        <source>filtering…</source>
        <translation>фильтруем…</translation>
    </message>
    <message>
        <source>Recent and saved filters</source>
        <translation>Недавние и сохранённые фильтры</translation>
    </message>
    <message>
        <source>Filter fields and syntax</source>
        <translation>Поля и синтаксис фильтра</translation>
    </message>
    <message>
        <source>Syntax…</source>
        <translation>Синтаксис…</translation>
    </message>
    <message>
        <source>Column %1: %2</source>
        <translation>Позиция %1: %2</translation>
    </message>
</context>
<context>
    <name>FilterMenus</name>
    <message>
        <source>Saved filters</source>
        <translation>Сохранённые фильтры</translation>
    </message>
    <message>
        <source>Save current filter…</source>
        <translation>Сохранить текущий фильтр…</translation>
    </message>
    <message>
        <source>Remove saved filter</source>
        <translation>Удалить сохранённый фильтр</translation>
    </message>
    <message>
        <source>Recent filters</source>
        <translation>Недавние фильтры</translation>
    </message>
    <message>
        <source>Clear history</source>
        <translation>Очистить историю</translation>
    </message>
    <message>
        <source>(none yet)</source>
        <translation>(пока нет)</translation>
    </message>
    <message>
        <source>Name for “%1”:</source>
        <translation>Название для «%1»:</translation>
    </message>
    <message>
        <source>Save filter</source>
        <translation>Сохранить фильтр</translation>
    </message>
    <message>
        <source>Filter syntax</source>
        <translation>Синтаксис фильтра</translation>
    </message>
    <message>
        <source>Fields and syntax of the filter language:</source>
        <translation>Поля и синтаксис языка фильтров:</translation>
    </message>
</context>
<context>
    <name>GroupedView</name>
    <message>
        <source>object · event</source>
        <translation>объект · событие</translation>
    </message>
    <message>
        <source>count</source>
        <translation>кол-во</translation>
    </message>
    <message>
        <source>first</source>
        <translation>первое</translation>
    </message>
    <message>
        <source>last</source>
        <translation>последнее</translation>
    </message>
    <message>
        <source>✔</source>
        <translation>✔</translation>
    </message>
    <message>
        <source>⚠</source>
        <translation>⚠</translation>
    </message>
</context>
<context>
    <name>HandlerUrlBox</name>
    <message>
        <source>Copy</source>
        <translation>Копировать</translation>
    </message>
    <message>
        <source>Open Settings…</source>
        <translation>Открыть настройки…</translation>
    </message>
    <message>
        <source>This is a local address: a portal on the internet cannot reach it. Start a tunnel first (an ngrok authtoken) or set your own public URL in Settings; this URL updates when the public one is ready.</source>
        <translation>Это локальный адрес: портал из интернета до него не достучится. Сначала запустите туннель (authtoken ngrok) или укажите свой публичный адрес в настройках — адрес здесь обновится, когда публичный будет готов.</translation>
    </message>
    <message>
        <source>Copied ✔</source>
        <translation>Скопировано ✔</translation>
    </message>
</context>
<context>
    <name>HelpOverlay</name>
    <message>
        <source>move in the list</source>
        <translation>перемещение по списку</translation>
    </message>
    <message>
        <source>focus the detail pane</source>
        <translation>перейти к подробностям</translation>
    </message>
    <message>
        <source>back to the list</source>
        <translation>вернуться к списку</translation>
    </message>
    <message>
        <source>Live ↔ Pause</source>
        <translation>Поток ↔ Пауза</translation>
    </message>
    <message>
        <source>focus the filter</source>
        <translation>перейти к фильтру</translation>
    </message>
    <message>
        <source>export…</source>
        <translation>экспорт…</translation>
    </message>
    <message>
        <source>copy the payload as JSON</source>
        <translation>скопировать данные как JSON</translation>
    </message>
    <message>
        <source>copy as curl</source>
        <translation>копировать как curl</translation>
    </message>
    <message>
        <source>replay to the forward target</source>
        <translation>повторить на адрес пересылки</translation>
    </message>
    <message>
        <source>compare two events, or one with its previous</source>
        <translation>сравнить два события или одно с предыдущим</translation>
    </message>
    <message>
        <source>pin / unpin</source>
        <translation>закрепить / открепить</translation>
    </message>
    <message>
        <source>open the record in the portal</source>
        <translation>открыть запись на портале</translation>
    </message>
    <message>
        <source>delete (undo for a few seconds)</source>
        <translation>удалить (отмена в течение нескольких секунд)</translation>
    </message>
    <message>
        <source>clear the view (the store keeps everything)</source>
        <translation>очистить список (в хранилище всё остаётся)</translation>
    </message>
    <message>
        <source>group by object ↔ the plain list</source>
        <translation>группировка по объектам ↔ обычный список</translation>
    </message>
    <message>
        <source>this help</source>
        <translation>эта справка</translation>
    </message>
    <message>
        <source>Keys</source>
        <translation>Клавиши</translation>
    </message>
    <message>
        <source>Press any key to close.</source>
        <translation>Нажмите любую клавишу, чтобы закрыть.</translation>
    </message>
</context>
<context>
    <name>KeysPage</name>
    <message>
        <source>Portal (REST pace):</source>
        <translation>Портал (темп REST):</translation>
    </message>
    <message>
        <source>Bitrix24 cloud — 2 requests/s, bursts of 50</source>
        <translation>Облачный Битрикс24 — 2 запроса/с, всплески до 50</translation>
    </message>
    <message>
        <source>Bitrix24 cloud, Enterprise plan — 5 requests/s, bursts of 250</source>
        <translation>Облачный Битрикс24, тариф Энтерпрайз — 5 запросов/с, всплески до 250</translation>
    </message>
    <message>
        <source>Self-hosted (on-premise) — unpaced until the portal asks to slow down</source>
        <translation>Коробочный (на своём сервере) — без ограничения, пока портал не попросит замедлиться</translation>
    </message>
    <message>
        <source>How fast b24monitor calls the portal&apos;s REST API. When the portal answers QUERY_LIMIT_EXCEEDED it is always waited for.</source>
        <translation>Как часто b24monitor вызывает REST API портала. Если портал отвечает QUERY_LIMIT_EXCEEDED, b24monitor всегда выжидает.</translation>
    </message>
    <message>
        <source>The application&apos;s keys</source>
        <translation>Ключи приложения</translation>
    </message>
    <message>
        <source>Copy them from the local application&apos;s page in Bitrix24.</source>
        <translation>Скопируйте их со страницы локального приложения в Битрикс24.</translation>
    </message>
    <message>
        <source>Profile name:</source>
        <translation>Имя профиля:</translation>
    </message>
    <message>
        <source>Application ID (client_id):</source>
        <translation>Код приложения (client_id):</translation>
    </message>
    <message>
        <source>Application key (client_secret):</source>
        <translation>Ключ приложения (client_secret):</translation>
    </message>
</context>
<context>
    <name>LiveToggle</name>
    <message>
        <source>‖ Paused</source>
        <translation>‖ Пауза</translation>
    </message>
    <message>
        <source>%1 new events wait; press Space or click to show them</source>
        <translation>Новых событий ждёт показа: %1; нажмите Пробел или щёлкните, чтобы показать</translation>
    </message>
    <message>
        <source>● Live</source>
        <translation>● Поток</translation>
    </message>
    <message>
        <source>New events appear as they arrive; Space pauses the list</source>
        <translation>Новые события появляются по мере поступления; Пробел ставит список на паузу</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>b24monitor</source>
        <translation>b24monitor</translation>
    </message>
    <message>
        <source>Main</source>
        <translation>Главная</translation>
    </message>
    <message>
        <source>Export…</source>
        <translation>Экспорт…</translation>
    </message>
    <message>
        <source>Clear view</source>
        <translation>Очистить список</translation>
    </message>
    <message>
        <source>Empty the list; the store keeps it all (Ctrl+L)</source>
        <translation>Очистить список; в хранилище всё остаётся (Ctrl+L)</translation>
    </message>
    <message>
        <source>Group by object</source>
        <translation>Группировать по объектам</translation>
    </message>
    <message>
        <source>One row per event and object, with its deliveries</source>
        <translation>Одна строка на событие и объект, с его доставками</translation>
    </message>
    <message>
        <source>Events</source>
        <translation>События</translation>
    </message>
    <message>
        <source>Event rate</source>
        <translation>Частота событий</translation>
    </message>
    <message>
        <source>Stats</source>
        <translation>Статистика</translation>
    </message>
    <message>
        <source>&amp;Portal</source>
        <translation>&amp;Портал</translation>
    </message>
    <message>
        <source>Connect a portal…</source>
        <translation>Подключить портал…</translation>
    </message>
    <message>
        <source>Settings…</source>
        <translation>Настройки…</translation>
    </message>
    <message>
        <source>Restart capture</source>
        <translation>Перезапустить приём</translation>
    </message>
    <message>
        <source>Stop the capture engine and start it again with the saved settings</source>
        <translation>Остановить движок приёма и запустить его снова с сохранёнными настройками</translation>
    </message>
    <message>
        <source>Start capturing</source>
        <translation>Начать приём</translation>
    </message>
    <message>
        <source>The capture engine stopped: start this window&apos;s own, which captures in the background</source>
        <translation>Движок приёма остановлен: запустить собственный движок этого окна, который принимает события в фоне</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>&amp;Справка</translation>
    </message>
    <message>
        <source>Check setup</source>
        <translation>Проверка настройки</translation>
    </message>
    <message>
        <source>About b24monitor</source>
        <translation>О программе b24monitor</translation>
    </message>
    <message>
        <source>Focus filter</source>
        <translation>Перейти к фильтру</translation>
    </message>
    <message>
        <source>Undo delete</source>
        <translation>Отменить удаление</translation>
    </message>
    <message numerus="yes">
        <source>Capture goes on for the other windows using the capture engine (%n); this window only detached</source>
        <translation>
            <numerusform>Приём продолжается: движок приёма использует ещё %n окно; это окно только отключилось</numerusform>
            <numerusform>Приём продолжается: движок приёма используют ещё %n окна; это окно только отключилось</numerusform>
            <numerusform>Приём продолжается: движок приёма используют ещё %n окон; это окно только отключилось</numerusform>
        </translation>
    </message>
    <message>
        <source>b24monitor listen</source>
        <translation>b24monitor listen</translation>
    </message>
    <message>
        <source>another window</source>
        <translation>другом окне</translation>
    </message>
    <message>
        <source>b24monitor — capture runs in %1 (pid %2)</source>
        <translation>b24monitor — приём идёт в %1 (pid %2)</translation>
    </message>
    <message>
        <source>in %1, pid %2</source>
        <translation>в %1, pid %2</translation>
    </message>
    <message>
        <source>The capture engine stopped unexpectedly; starting it again…</source>
        <translation>Движок приёма неожиданно остановился; запускаю его снова…</translation>
    </message>
    <message>
        <source>capture engine restarting…</source>
        <translation>движок приёма перезапускается…</translation>
    </message>
    <message>
        <source>Another window restarts the capture engine; this window attaches to the new one…</source>
        <translation>Другое окно перезапускает движок приёма; это окно подключится к новому…</translation>
    </message>
    <message>
        <source>This window fell behind the capture engine and was let go; it attaches again by itself (no event is lost: they are stored)</source>
        <translation>Окно не успевало за движком приёма и было отключено; оно подключится снова само (ни одно событие не потеряно: они сохранены)</translation>
    </message>
    <message>
        <source>The capture engine stopped: new events are not received. Portal → Start capturing starts this window&apos;s own; a `b24monitor listen` started again is attached to by itself</source>
        <translation>Движок приёма остановлен: новые события не принимаются. Портал → Начать приём запустит собственный движок этого окна; к снова запущенному `b24monitor listen` окно подключится само</translation>
    </message>
    <message>
        <source>The capture engine stopped: new events are not received until you open b24monitor again</source>
        <translation>Движок приёма остановлен: новые события не принимаются, пока вы снова не откроете b24monitor</translation>
    </message>
    <message>
        <source>not receiving: capture engine stopped</source>
        <translation>приём остановлен: движок не работает</translation>
    </message>
    <message>
        <source>The capture engine could not be started again: %1</source>
        <translation>Не удалось снова запустить движок приёма: %1</translation>
    </message>
    <message>
        <source>Another window restarted the capture engine; this window shows the new one&apos;s events</source>
        <translation>Другое окно перезапустило движок приёма; это окно показывает события нового</translation>
    </message>
    <message>
        <source>capture restarted</source>
        <translation>приём перезапущен</translation>
    </message>
    <message>
        <source>The capture engine stopped unexpectedly and was started again; no acknowledged event is lost</source>
        <translation>Движок приёма неожиданно остановился и был запущен снова; ни одно подтверждённое событие не потеряно</translation>
    </message>
    <message>
        <source>capture engine restarted</source>
        <translation>движок приёма перезапущен</translation>
    </message>
    <message>
        <source>The capture engine runs again and this window is attached to it: new events arrive here</source>
        <translation>Движок приёма снова работает, и это окно подключено к нему: новые события приходят сюда</translation>
    </message>
    <message>
        <source>receiving again</source>
        <translation>приём возобновлён</translation>
    </message>
    <message>
        <source>Starting capture for this window…</source>
        <translation>Запуск приёма для этого окна…</translation>
    </message>
    <message>
        <source>Capture could not be started: %1</source>
        <translation>Не удалось запустить приём: %1</translation>
    </message>
    <message>
        <source>This window&apos;s own capture engine runs now (it keeps capturing in the background): new events arrive here</source>
        <translation>Теперь работает собственный движок приёма этого окна (он продолжает приём в фоне): новые события приходят сюда</translation>
    </message>
    <message>
        <source>receiver moved to another port</source>
        <translation>приёмник переехал на другой порт</translation>
    </message>
    <message>
        <source>This event has no decoded payload to copy</source>
        <translation>У этого события нет разобранных данных для копирования</translation>
    </message>
    <message>
        <source>Payload copied as JSON</source>
        <translation>Данные скопированы как JSON</translation>
    </message>
    <message>
        <source>Exported %1 events to %2</source>
        <translation>Экспортировано событий: %1 в %2</translation>
    </message>
    <message>
        <source>Settings saved; Portal → Restart capture applies them</source>
        <translation>Настройки сохранены; Портал → Перезапустить приём применит их</translation>
    </message>
    <message>
        <source>Settings saved; restart b24monitor to apply them</source>
        <translation>Настройки сохранены; перезапустите b24monitor, чтобы они вступили в силу</translation>
    </message>
    <message>
        <source>Restarting capture with the saved settings…</source>
        <translation>Перезапускаю приём с сохранёнными настройками…</translation>
    </message>
    <message>
        <source>Capture restarted with the saved settings</source>
        <translation>Приём перезапущен с сохранёнными настройками</translation>
    </message>
    <message>
        <source>loop: %1 %2 updated %3× in 30 s</source>
        <translation>цикл: %1 %2 изменён %3 раз за 30 с</translation>
    </message>
    <message>
        <source>storm: %3 × %1</source>
        <translation>шторм: %3 × %1</translation>
    </message>
    <message>
        <source>b24monitor: %1</source>
        <translation>b24monitor: %1</translation>
    </message>
    <message>
        <source>Cannot open %1: no browser is set up</source>
        <translation>Не удалось открыть %1: не настроен браузер</translation>
    </message>
</context>
<context>
    <name>MinuteChart</name>
    <message>
        <source>%1 events in the last %2 minutes, per minute</source>
        <translation>%1 событий за последние %2 мин, по минутам</translation>
    </message>
    <message>
        <source>per minute, last hour · peak %1</source>
        <translation>по минутам за последний час · пик %1</translation>
    </message>
</context>
<context>
    <name>Notifier</name>
    <message>
        <source>and %1 more</source>
        <translation>и ещё %1</translation>
    </message>
    <message>
        <source>Filter “%1” matched</source>
        <translation>Сработал фильтр «%1»</translation>
    </message>
    <message>
        <source>Events are not arriving</source>
        <translation>События не доходят</translation>
    </message>
</context>
<context>
    <name>OfflineModel</name>
    <message>
        <source>Row ID in the queue</source>
        <translation>ID записи в очереди</translation>
    </message>
    <message>
        <source>time</source>
        <translation>время</translation>
    </message>
    <message>
        <source>Last time the row was written (TIMESTAMP_X)</source>
        <translation>Когда запись менялась в последний раз (TIMESTAMP_X)</translation>
    </message>
    <message>
        <source>event</source>
        <translation>событие</translation>
    </message>
    <message>
        <source>Event code</source>
        <translation>Код события</translation>
    </message>
    <message>
        <source>entity</source>
        <translation>объект</translation>
    </message>
    <message>
        <source>The object the event is about</source>
        <translation>Объект, к которому относится событие</translation>
    </message>
    <message>
        <source>user</source>
        <translation>польз.</translation>
    </message>
    <message>
        <source>User whose action queued the row (0: a robot)</source>
        <translation>Пользователь, чьё действие поставило запись в очередь (0 — робот)</translation>
    </message>
    <message>
        <source>Deduplication key: one row per object and event</source>
        <translation>Ключ дедупликации: одна запись на объект и событие</translation>
    </message>
    <message>
        <source>Reservation: set while a consumer processes the row</source>
        <translation>Резерв: заполнен, пока запись обрабатывается</translation>
    </message>
    <message>
        <source>Marked as failed by a consumer</source>
        <translation>Помечена обработчиком как ошибочная</translation>
    </message>
</context>
<context>
    <name>OfflinePane</name>
    <message>
        <source>Fetch and clear</source>
        <translation>Забрать и удалить</translation>
    </message>
    <message>
        <source>Fetch up to 50 rows and delete them from the portal&apos;s queue?</source>
        <translation>Забрать до 50 записей и удалить их из очереди портала?</translation>
    </message>
    <message>
        <source>Other consumers of this queue will never see these rows. They are shown here once; nothing keeps them after you refresh.</source>
        <translation>Другие обработчики этой очереди эти записи уже не увидят. Они будут показаны здесь один раз и пропадут после обновления.</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>Обновить</translation>
    </message>
    <message>
        <source>Read the queue again (never changes it)</source>
        <translation>Перечитать очередь (ничего в ней не меняет)</translation>
    </message>
    <message>
        <source>Consume safely</source>
        <translation>Забрать безопасно</translation>
    </message>
    <message>
        <source>Reserve up to 50 rows, show them, then clear or flag them</source>
        <translation>Зарезервировать до 50 записей, показать их, затем удалить или пометить</translation>
    </message>
    <message>
        <source>Fetch and clear…</source>
        <translation>Забрать и удалить…</translation>
    </message>
    <message>
        <source>Read up to 50 rows and delete them from the portal at once</source>
        <translation>Прочитать до 50 записей и сразу удалить их на портале</translation>
    </message>
    <message>
        <source>Mark as error</source>
        <translation>Пометить как ошибку</translation>
    </message>
    <message>
        <source>Flag the selected reserved rows (with a PROCESS_ID) as failed</source>
        <translation>Пометить выбранные зарезервированные записи (с PROCESS_ID) как ошибочные</translation>
    </message>
    <message>
        <source>Send to handler</source>
        <translation>Отправить обработчику</translation>
    </message>
    <message>
        <source>POST each row to your handler: 2xx clears it, anything else flags it (with Errored only: reprocess flagged rows)</source>
        <translation>Отправить каждую запись POST-запросом вашему обработчику: ответ 2xx удаляет её, любой другой помечает как ошибку (с «Только ошибки» — повторная обработка ошибочных)</translation>
    </message>
    <message>
        <source>your handler URL, https://…</source>
        <translation>адрес вашего обработчика, https://…</translation>
    </message>
    <message>
        <source>Errored only</source>
        <translation>Только ошибки</translation>
    </message>
    <message>
        <source>Offline queue</source>
        <translation>Офлайн-очередь</translation>
    </message>
    <message>
        <source>No portal connected: the offline queue belongs to a portal.</source>
        <translation>Портал не подключён: офлайн-очередь есть только у портала.</translation>
    </message>
    <message>
        <source>An outgoing webhook has no offline queue: only a local application can read it.</source>
        <translation>У исходящего вебхука нет офлайн-очереди: читать её может только локальное приложение.</translation>
    </message>
    <message>
        <source>Waiting for the application to be installed on the portal.</source>
        <translation>Ждём установки приложения на портал.</translation>
    </message>
    <message>
        <source>Rows: %1 · errored: %2</source>
        <translation>Записей: %1 · с ошибкой: %2</translation>
    </message>
    <message>
        <source>Type your handler&apos;s http:// or https:// URL first.</source>
        <translation>Сначала введите адрес вашего обработчика, http:// или https://.</translation>
    </message>
    <message>
        <source>This plan cannot reserve rows (no rest_offline_extended), so rows cannot be sent and kept on failure: use Fetch and clear instead.</source>
        <translation>На этом тарифе резервировать записи нельзя (нет rest_offline_extended), поэтому отправить их с сохранением при ошибке не получится: используйте «Забрать и удалить».</translation>
    </message>
    <message>
        <source>Nothing to send: no rows are waiting.</source>
        <translation>Отправлять нечего: записей в очереди нет.</translation>
    </message>
    <message>
        <source>Sent %1 rows to %2: %3 cleared, %4 flagged.</source>
        <translation>Отправлено записей: %1 на %2; удалено: %3, помечено как ошибка: %4.</translation>
    </message>
</context>
<context>
    <name>PayloadTree</name>
    <message>
        <source>key</source>
        <translation>ключ</translation>
    </message>
    <message>
        <source>value</source>
        <translation>значение</translation>
    </message>
    <message>
        <source>Copy value</source>
        <translation>Скопировать значение</translation>
    </message>
    <message>
        <source>Copy path (%1)</source>
        <translation>Скопировать путь (%1)</translation>
    </message>
</context>
<context>
    <name>PingControl</name>
    <message>
        <source>Ping</source>
        <translation>Пинг</translation>
    </message>
    <message>
        <source>A ping is running</source>
        <translation>Пинг уже идёт</translation>
    </message>
    <message>
        <source>Ping needs a linked portal: connect one from Portal → Connect</source>
        <translation>Для пинга нужен подключённый портал: подключите его через Портал → Подключить</translation>
    </message>
    <message>
        <source>Ping needs an application profile: webhooks cannot call event.test</source>
        <translation>Для пинга нужен профиль приложения: вебхуки не могут вызвать event.test</translation>
    </message>
    <message>
        <source>Time event.test until its ONAPPTEST arrives here</source>
        <translation>Замерить время от event.test до прихода ONAPPTEST сюда</translation>
    </message>
    <message>
        <source>Ping: waiting for ONAPPTEST…</source>
        <translation>Пинг: ждём ONAPPTEST…</translation>
    </message>
    <message>
        <source>Ping failed: %1</source>
        <translation>Пинг не удался: %1</translation>
    </message>
    <message>
        <source>Ping: ONAPPTEST arrived after %1 ms</source>
        <translation>Пинг: ONAPPTEST пришёл через %1 мс</translation>
    </message>
    <message>
        <source>handler&apos;s last answer: %1</source>
        <translation>последний ответ обработчика: %1</translation>
    </message>
</context>
<context>
    <name>PortalStatus</name>
    <message>
        <source>no portal</source>
        <translation>нет портала</translation>
    </message>
    <message>
        <source>Connect a portal to bind events: Portal → Connect…</source>
        <translation>Подключите портал, чтобы подписываться на события: Портал → Подключить…</translation>
    </message>
    <message>
        <source>portal %1 (outgoing webhook)</source>
        <translation>портал %1 (исходящий вебхук)</translation>
    </message>
    <message>
        <source>Receives and verifies deliveries; an outgoing webhook cannot bind events or read the offline queue.</source>
        <translation>Принимает и проверяет доставки; исходящий вебхук не может подписываться на события и читать офлайн-очередь.</translation>
    </message>
    <message>
        <source>portal %1: not installed ⚠</source>
        <translation>портал %1: не установлено ⚠</translation>
    </message>
    <message>
        <source>Open the application in Bitrix24 so that ONAPPINSTALL reaches the handler URL.</source>
        <translation>Откройте приложение в Битрикс24, чтобы ONAPPINSTALL пришёл на адрес обработчика.</translation>
    </message>
    <message>
        <source>portal %1 · token refused ✖</source>
        <translation>портал %1 · токен отклонён ✖</translation>
    </message>
    <message>
        <source>The refresh token no longer works: reinstall the application in Bitrix24 to get new tokens.</source>
        <translation>Refresh-токен больше не действует: переустановите приложение в Битрикс24, чтобы получить новые токены.</translation>
    </message>
    <message>
        <source>token %1 min</source>
        <translation>токен %1 мин</translation>
    </message>
    <message>
        <source>token expired</source>
        <translation>токен истёк</translation>
    </message>
    <message>
        <source>portal %1 · %2</source>
        <translation>портал %1 · %2</translation>
    </message>
    <message>
        <source>The access token lasts an hour; b24monitor refreshes it by itself when the portal says it expired.</source>
        <translation>Токен доступа живёт час; b24monitor обновляет его сам, когда портал сообщает, что срок истёк.</translation>
    </message>
    <message>
        <source>bindings failed: %1 ✖</source>
        <translation>ошибок подписки: %1 ✖</translation>
    </message>
    <message>
        <source>The subscriptions dock shows each of the portal&apos;s answers.</source>
        <translation>Ответ портала по каждому событию — на панели «Подписки».</translation>
    </message>
    <message>
        <source>bindings wait for a public URL ⚠</source>
        <translation>подписки ждут публичный адрес ⚠</translation>
    </message>
    <message>
        <source>Start a tunnel or set your own public URL in Settings → Tunnel.</source>
        <translation>Запустите туннель или укажите свой публичный адрес: Настройки → Туннель.</translation>
    </message>
    <message>
        <source>no bindings yet</source>
        <translation>подписок пока нет</translation>
    </message>
    <message>
        <source>Tick events in the subscriptions dock to bind them here.</source>
        <translation>Отметьте события на панели «Подписки», чтобы подписаться на них.</translation>
    </message>
    <message>
        <source>bindings point elsewhere ⚠</source>
        <translation>подписки ведут в другое место ⚠</translation>
    </message>
    <message>
        <source>They are being moved to this handler URL; if this stays, check the tunnel.</source>
        <translation>Подписки переносятся на этот адрес обработчика; если это надолго — проверьте туннель.</translation>
    </message>
    <message>
        <source>bindings point here ✔</source>
        <translation>подписки ведут сюда ✔</translation>
    </message>
    <message>
        <source>%1 stale → moved</source>
        <translation>устаревших: %1 → перенесены</translation>
    </message>
    <message>
        <source>health %1</source>
        <translation>связь %1</translation>
    </message>
    <message>
        <source>Last canary round trips:</source>
        <translation>Последние контрольные проверки:</translation>
    </message>
    <message>
        <source>lost</source>
        <translation>потеряно</translation>
    </message>
    <message>
        <source>Deliveries reach b24monitor</source>
        <translation>Доставки доходят до b24monitor</translation>
    </message>
</context>
<context>
    <name>RateChart</name>
    <message>
        <source>Events per second, last 10 minutes</source>
        <translation>Событий в секунду за последние 10 минут</translation>
    </message>
    <message>
        <source>peak %1/s</source>
        <translation>пик %1/с</translation>
    </message>
    <message>
        <source>%1 min ago</source>
        <translation>%1 мин назад</translation>
    </message>
    <message>
        <source>now</source>
        <translation>сейчас</translation>
    </message>
    <message>
        <source>other</source>
        <translation>прочие</translation>
    </message>
    <message>
        <source>%1 s ago: %2 events</source>
        <translation>%1 с назад: событий %2</translation>
    </message>
</context>
<context>
    <name>ReplayEditDialog</name>
    <message>
        <source>Replay event #%1 with edits</source>
        <translation>Повтор события #%1 с правкой</translation>
    </message>
    <message>
        <source>Replay</source>
        <translation>Повторить</translation>
    </message>
    <message>
        <source>Field edits, one PATH=VALUE per line:</source>
        <translation>Правки полей, по одной ПУТЬ=ЗНАЧЕНИЕ в строке:</translation>
    </message>
    <message>
        <source>Or the body to send as it is:</source>
        <translation>Или тело запроса, которое отправить как есть:</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>Settings</source>
        <translation>Настройки</translation>
    </message>
    <message>
        <source>System language</source>
        <translation>Язык системы</translation>
    </message>
    <message>
        <source>any free port</source>
        <translation>любой свободный</translation>
    </message>
    <message>
        <source>forever</source>
        <translation>всегда</translation>
    </message>
    <message>
        <source>no limit</source>
        <translation>без ограничения</translation>
    </message>
    <message>
        <source>Flag a queue delay over:</source>
        <translation>Отмечать задержку очереди больше:</translation>
    </message>
    <message>
        <source>Deliveries that reach you later than this after the change (received − ts) get the queue_delay check in the ⚠ column</source>
        <translation>Доставки, пришедшие позже этого срока после изменения (получено − ts), получают проверку queue_delay в столбце ⚠</translation>
    </message>
    <message>
        <source>None (local only)</source>
        <translation>Нет (только локально)</translation>
    </message>
    <message>
        <source>My own public URL</source>
        <translation>Свой публичный адрес</translation>
    </message>
    <message>
        <source>optional: your reserved domain</source>
        <translation>необязательно: ваш зарезервированный домен</translation>
    </message>
    <message>
        <source>automatic</source>
        <translation>автоматически</translation>
    </message>
    <message>
        <source>Deprecated and rarely useful: the ngrok agent picks the nearest region by itself and the public URL is reachable worldwide either way. Leave it on automatic.</source>
        <translation>Устарело и редко нужно: агент ngrok сам выбирает ближайший регион, а публичный адрес доступен из любой точки мира. Оставьте «автоматически».</translation>
    </message>
    <message>
        <source>A bare URL is the default target; PATTERN=URL sends matching events elsewhere</source>
        <translation>Просто URL — адрес по умолчанию; ШАБЛОН=URL отправляет подходящие события на другой адрес</translation>
    </message>
    <message>
        <source>Keep rejected bodies, per minute:</source>
        <translation>Хранить отклонённые тела, в минуту:</translation>
    </message>
    <message>
        <source>Bodies of forged, malformed and oversize requests; past the budget only their details are kept. Verified deliveries are never limited</source>
        <translation>Тела поддельных, повреждённых и слишком больших запросов; сверх лимита хранятся только их сведения. Проверенные доставки не ограничиваются</translation>
    </message>
    <message>
        <source>Keep rejected bodies, in all:</source>
        <translation>Хранить отклонённые тела, всего:</translation>
    </message>
    <message>
        <source>Warn when free disk space is below:</source>
        <translation>Предупреждать, когда свободно на диске меньше:</translation>
    </message>
    <message>
        <source>Store only verified deliveries below:</source>
        <translation>Только проверенные доставки при свободном месте ниже:</translation>
    </message>
    <message>
        <source>With less free space than this, everything else is answered 503 and not stored</source>
        <translation>Если свободного места меньше, на всё остальное отвечаем 503 и не сохраняем</translation>
    </message>
    <message>
        <source>Mask tokens by default (detail, copies, exports)</source>
        <translation>Скрывать токены по умолчанию (подробности, копирование, экспорт)</translation>
    </message>
    <message>
        <source>Tray notification when an event matches:</source>
        <translation>Уведомление в трее, когда событие подходит под фильтр:</translation>
    </message>
    <message>
        <source>Ask whether to keep capturing when the window closes</source>
        <translation>Спрашивать, продолжать ли приём после закрытия окна</translation>
    </message>
    <message>
        <source>No saved filters yet: save one from the filter bar (▾).</source>
        <translation>Сохранённых фильтров пока нет: сохраните фильтр в строке фильтра (▾).</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>Обзор…</translation>
    </message>
    <message>
        <source>Data folder:</source>
        <translation>Папка данных:</translation>
    </message>
    <message>
        <source>Language:</source>
        <translation>Язык:</translation>
    </message>
    <message>
        <source>Receiver port:</source>
        <translation>Порт приёмника:</translation>
    </message>
    <message>
        <source>Largest body:</source>
        <translation>Наибольшее тело запроса:</translation>
    </message>
    <message>
        <source>Keep events for (days):</source>
        <translation>Хранить события (дней):</translation>
    </message>
    <message>
        <source>Keep at most (events):</source>
        <translation>Хранить не больше (событий):</translation>
    </message>
    <message>
        <source>Public route:</source>
        <translation>Публичный доступ:</translation>
    </message>
    <message>
        <source>ngrok authtoken:</source>
        <translation>authtoken ngrok:</translation>
    </message>
    <message>
        <source>ngrok domain:</source>
        <translation>домен ngrok:</translation>
    </message>
    <message>
        <source>ngrok region:</source>
        <translation>регион ngrok:</translation>
    </message>
    <message>
        <source>Own public URL:</source>
        <translation>Свой публичный адрес:</translation>
    </message>
    <message>
        <source>Forward events to:</source>
        <translation>Пересылать события на:</translation>
    </message>
    <message>
        <source>General (after a restart)</source>
        <translation>Общие (после перезапуска)</translation>
    </message>
    <message>
        <source>Tunnel (after a restart)</source>
        <translation>Туннель (после перезапуска)</translation>
    </message>
    <message>
        <source>Forwarding (after a restart)</source>
        <translation>Пересылка (после перезапуска)</translation>
    </message>
    <message>
        <source>Hostile traffic and disk (after a restart)</source>
        <translation>Враждебный трафик и диск (после перезапуска)</translation>
    </message>
    <message>
        <source>Privacy and notifications</source>
        <translation>Приватность и уведомления</translation>
    </message>
    <message>
        <source>Restart b24monitor to apply these changes.</source>
        <translation>Перезапустите b24monitor, чтобы применить эти изменения.</translation>
    </message>
    <message>
        <source>Choose a data folder.</source>
        <translation>Выберите папку данных.</translation>
    </message>
    <message>
        <source>Data folder</source>
        <translation>Папка данных</translation>
    </message>
</context>
<context>
    <name>StatsPanel</name>
    <message>
        <source>Queue delay is received − ts; fwd: your handler&apos;s answer time and failure share (with --forward-to)</source>
        <translation>Задержка очереди — это получено − ts; пересылка: время ответа вашего обработчика и доля отказов (с --forward-to)</translation>
    </message>
    <message>
        <source>%1 events of %2 codes match the filter</source>
        <translation>Под фильтр подходят %1 событий %2 кодов</translation>
    </message>
    <message>
        <source>Statistics failed: %1</source>
        <translation>Не удалось посчитать статистику: %1</translation>
    </message>
</context>
<context>
    <name>StatusBar</name>
    <message>
        <source>copy</source>
        <translation>копировать</translation>
    </message>
    <message>
        <source>Copy the handler URL to paste into Bitrix24</source>
        <translation>Скопировать адрес обработчика, чтобы вставить его в Битрикс24</translation>
    </message>
    <message>
        <source>receiver %1 ✔</source>
        <translation>приёмник %1 ✔</translation>
    </message>
    <message>
        <source>receiver %1 ⚠ disk low</source>
        <translation>приёмник %1 ⚠ мало места на диске</translation>
    </message>
    <message>
        <source>Receiving deliveries on this local address</source>
        <translation>Доставки принимаются на этом локальном адресе</translation>
    </message>
    <message>
        <source>receiver stopped ✖</source>
        <translation>приёмник остановлен ✖</translation>
    </message>
    <message>
        <source>Nothing is received: restart b24monitor</source>
        <translation>Ничего не принимается: перезапустите b24monitor</translation>
    </message>
    <message>
        <source>handler %1</source>
        <translation>обработчик %1</translation>
    </message>
    <message>
        <source>local portal</source>
        <translation>локальный портал</translation>
    </message>
    <message>
        <source>The portal runs on this computer, so it reaches this local address directly; a real portal needs a tunnel or --public-url.</source>
        <translation>Портал работает на этом компьютере и обращается к локальному адресу напрямую; настоящему порталу нужен туннель или --public-url.</translation>
    </message>
    <message>
        <source> ⚠ local only: use a tunnel</source>
        <translation> ⚠ только локально: нужен туннель</translation>
    </message>
    <message>
        <source>This is a local address: Bitrix24 cannot reach it. Start a tunnel or run with --public-url to get an address the portal can call.</source>
        <translation>Это локальный адрес: Битрикс24 до него не достучится. Запустите туннель или укажите --public-url, чтобы у портала был доступный адрес.</translation>
    </message>
    <message>
        <source>%1 ev/s</source>
        <translation>%1 соб/с</translation>
    </message>
    <message>
        <source>%1 stored</source>
        <translation>сохранено: %1</translation>
    </message>
    <message>
        <source>%1 stray</source>
        <translation>посторонних: %1</translation>
    </message>
    <message>
        <source>%1 requests hit the receiver outside the handler path: scanners found the public address, or a portal still uses an old handler URL — compare the portal&apos;s handler with the URL shown here.</source>
        <translation>Запросов мимо пути обработчика: %1 — публичный адрес нашли сканеры или портал всё ещё шлёт на старый адрес обработчика; сравните обработчик на портале с адресом, показанным здесь.</translation>
    </message>
    <message>
        <source>No requests outside the handler path</source>
        <translation>Запросов мимо пути обработчика не было</translation>
    </message>
    <message>
        <source>copied ✔</source>
        <translation>скопировано ✔</translation>
    </message>
</context>
<context>
    <name>SubscriptionsModel</name>
    <message>
        <source>Select all in “%1” (one batch)</source>
        <translation>Выбрать всё в разделе «%1» (одним пакетом)</translation>
    </message>
    <message>
        <source>the application&apos;s installation handler</source>
        <translation>обработчик установки приложения</translation>
    </message>
    <message>
        <source>online</source>
        <translation>онлайн</translation>
    </message>
    <message>
        <source>offline</source>
        <translation>офлайн</translation>
    </message>
    <message>
        <source>not made by b24monitor (%1)</source>
        <translation>подписан не b24monitor (%1)</translation>
    </message>
    <message>
        <source>The portal registered this handler when the app was saved with its “Initial installation path” (%1); installs and reinstalls arrive through it. b24monitor shows it and never touches it.</source>
        <translation>Портал зарегистрировал этот обработчик, когда приложение сохранили с «Путём для первоначальной установки» (%1); установки и переустановки приходят через него. b24monitor показывает его и никогда не трогает.</translation>
    </message>
    <message>
        <source>%1 → %2 was not bound by b24monitor: it is shown and never touched.</source>
        <translation>%1 → %2 подписан не b24monitor: показываем, но никогда не трогаем.</translation>
    </message>
    <message>
        <source>another handler (%1)</source>
        <translation type="vanished">другой обработчик (%1)</translation>
    </message>
    <message>
        <source>%1 is also bound elsewhere: %2. b24monitor shows it and never touches it.</source>
        <translation type="vanished">%1 подписан ещё и в другом месте: %2. b24monitor показывает эту подписку, но не трогает её.</translation>
    </message>
    <message>
        <source>on</source>
        <translation>онл</translation>
    </message>
    <message>
        <source>Online: POST to the handler</source>
        <translation>Онлайн: POST на обработчик</translation>
    </message>
    <message>
        <source>off</source>
        <translation>офл</translation>
    </message>
    <message>
        <source>Offline: kept in the portal&apos;s offline queue</source>
        <translation>Офлайн: копится в офлайн-очереди портала</translation>
    </message>
    <message>
        <source>event</source>
        <translation>событие</translation>
    </message>
    <message>
        <source>What happened</source>
        <translation>Что произошло</translation>
    </message>
    <message>
        <source>code</source>
        <translation>код</translation>
    </message>
    <message>
        <source>Event code</source>
        <translation>Код события</translation>
    </message>
    <message>
        <source>Bound: the portal sends this event here</source>
        <translation>Подписано: портал присылает это событие сюда</translation>
    </message>
    <message>
        <source>Being bound…</source>
        <translation>Оформляется подписка…</translation>
    </message>
    <message>
        <source>Sent to the portal…</source>
        <translation>Отправлено на портал…</translation>
    </message>
    <message>
        <source>Wanted: bound once the app is installed and the handler URL is public</source>
        <translation>Выбрано: подписка оформится, когда приложение будет установлено и адрес обработчика станет публичным</translation>
    </message>
    <message>
        <source>The portal refused: %1</source>
        <translation>Портал отказал: %1</translation>
    </message>
    <message>
        <source>Was bound to an old address; moved here</source>
        <translation>Подписка вела на старый адрес; перенесена сюда</translation>
    </message>
    <message>
        <source>Bound by b24monitor itself: ONAPPTEST answers Ping, ONOFFLINEEVENT announces queued events</source>
        <translation>Подписка b24monitor: ONAPPTEST отвечает на проверку связи, ONOFFLINEEVENT сообщает о записях в офлайн-очереди</translation>
    </message>
    <message>
        <source>Kept by “Catch missed events”: the offline twin of the ticked online event, so a change the handler misses stays in the portal&apos;s queue and is recovered (↺)</source>
        <translation>Держит «Ловить пропущенные события»: офлайн-близнец отмеченного онлайн-события, чтобы изменение, пропущенное обработчиком, осталось в очереди портала и было восстановлено (↺)</translation>
    </message>
    <message>
        <source>Application</source>
        <translation>Приложение</translation>
    </message>
    <message>
        <source>CRM</source>
        <translation>CRM</translation>
    </message>
    <message>
        <source>Tasks</source>
        <translation>Задачи</translation>
    </message>
    <message>
        <source>Users</source>
        <translation>Пользователи</translation>
    </message>
    <message>
        <source>Calendar</source>
        <translation>Календарь</translation>
    </message>
    <message>
        <source>Feed</source>
        <translation>Живая лента</translation>
    </message>
    <message>
        <source>Workgroups</source>
        <translation>Рабочие группы</translation>
    </message>
    <message>
        <source>Telephony</source>
        <translation>Телефония</translation>
    </message>
    <message>
        <source>Chats</source>
        <translation>Чаты</translation>
    </message>
    <message>
        <source>Chat bots</source>
        <translation>Чат-боты</translation>
    </message>
    <message>
        <source>Open channel connectors</source>
        <translation>Коннекторы открытых линий</translation>
    </message>
    <message>
        <source>Open channels</source>
        <translation>Открытые линии</translation>
    </message>
    <message>
        <source>Online store</source>
        <translation>Интернет-магазин</translation>
    </message>
    <message>
        <source>Product catalog</source>
        <translation>Каталог товаров</translation>
    </message>
    <message>
        <source>Booking</source>
        <translation>Онлайн-запись</translation>
    </message>
    <message>
        <source>E-signature for HR</source>
        <translation>КЭДО (подписание документов)</translation>
    </message>
    <message>
        <source>HR systems link</source>
        <translation>Связь с HR-системами</translation>
    </message>
    <message>
        <source>Other events</source>
        <translation>Другие события</translation>
    </message>
</context>
<context>
    <name>SubscriptionsPane</name>
    <message>
        <source>Subscriptions</source>
        <translation>Подписки</translation>
    </message>
    <message>
        <source>Search events…</source>
        <translation>Поиск событий…</translation>
    </message>
    <message>
        <source>Ticked only</source>
        <translation>Только отмеченные</translation>
    </message>
    <message>
        <source>Only events that are wanted, bound, failing or foreign</source>
        <translation>Только выбранные, подписанные, с ошибкой или чужие события</translation>
    </message>
    <message>
        <source>Catch missed events</source>
        <translation>Ловить пропущенные события</translation>
    </message>
    <message>
        <source>Also bind every ticked event to the portal&apos;s offline queue and recover what the handler missed (marked ↺). Needs a portal administrator; the offline twins stay bound when b24monitor closes.</source>
        <translation>Подписывать каждое отмеченное событие ещё и на офлайн-очередь портала и восстанавливать то, что обработчик пропустил (отмечено ↺). Нужен администратор портала; офлайн-подписки остаются и после закрытия b24monitor.</translation>
    </message>
    <message>
        <source>No portal connected: use “Connect a portal…” to choose events.</source>
        <translation>Портал не подключён: выберите «Подключить портал…», чтобы отметить события.</translation>
    </message>
    <message>
        <source>“%1” is an outgoing-webhook profile: Bitrix24 lets only an application bind events. Connect a local application to choose them here.</source>
        <translation>«%1» — профиль исходящего вебхука: подписываться на события в Битрикс24 может только приложение. Подключите локальное приложение, чтобы выбирать их здесь.</translation>
    </message>
    <message>
        <source>Waiting for the application to be installed: open it in Bitrix24 (Developer resources → your local application) so ONAPPINSTALL arrives.</source>
        <translation>Ждём установки приложения: откройте его в Битрикс24 (Разработчикам → ваше локальное приложение), чтобы пришёл ONAPPINSTALL.</translation>
    </message>
    <message>
        <source>Loading the portal&apos;s event list…</source>
        <translation>Загружаем список событий портала…</translation>
    </message>
    <message>
        <source>Cannot load the event list: %1</source>
        <translation>Не удалось загрузить список событий: %1</translation>
    </message>
    <message>
        <source>%1 bound</source>
        <translation>подписано: %1</translation>
    </message>
    <message>
        <source>%1 stale → moved ✔</source>
        <translation>устаревших: %1 → перенесены ✔</translation>
    </message>
    <message>
        <source>%1 pending ⟳</source>
        <translation>в процессе: %1 ⟳</translation>
    </message>
    <message>
        <source>%1 failed ✖</source>
        <translation>ошибок: %1 ✖</translation>
    </message>
    <message>
        <source>%1 foreign (left alone)</source>
        <translation>чужих: %1 (не трогаем)</translation>
    </message>
    <message>
        <source>⚠ Installs still go to the app&apos;s old URL: see “app settings stale” in the status bar.</source>
        <translation>⚠ Установки всё ещё уходят на старый адрес приложения: см. «настройки приложения устарели» в строке состояния.</translation>
    </message>
    <message>
        <source>Select all in “%1” — online</source>
        <translation>Выбрать всё в «%1» — онлайн</translation>
    </message>
    <message>
        <source>Select all in “%1” — offline</source>
        <translation>Выбрать всё в «%1» — офлайн</translation>
    </message>
    <message>
        <source>Clear all in “%1” — online</source>
        <translation>Снять всё в «%1» — онлайн</translation>
    </message>
    <message>
        <source>Clear all in “%1” — offline</source>
        <translation>Снять всё в «%1» — офлайн</translation>
    </message>
    <message>
        <source>Copy event code</source>
        <translation>Скопировать код события</translation>
    </message>
</context>
<context>
    <name>TunnelItem</name>
    <message>
        <source>copy</source>
        <translation>копировать</translation>
    </message>
    <message>
        <source>Copy the public URL</source>
        <translation>Скопировать публичный адрес</translation>
    </message>
    <message>
        <source>tunnel %1 ✔</source>
        <translation>туннель %1 ✔</translation>
    </message>
    <message>
        <source>Bitrix24 can reach b24monitor here: a probe went out through this URL and came back.</source>
        <translation>Битрикс24 достучится до b24monitor по этому адресу: проверочный запрос прошёл через него и вернулся.</translation>
    </message>
    <message>
        <source>tunnel starting…</source>
        <translation>туннель запускается…</translation>
    </message>
    <message>
        <source>Opening the public URL…</source>
        <translation>Открываем публичный адрес…</translation>
    </message>
    <message>
        <source>tunnel %1 ✖ unreachable</source>
        <translation>туннель %1 ✖ недоступен</translation>
    </message>
    <message>
        <source>%1 b24monitor keeps retrying; check the network, or the tunnel&apos;s dashboard.</source>
        <translation>%1 b24monitor продолжает попытки; проверьте сеть или панель управления туннелем.</translation>
    </message>
    <message>
        <source>tunnel failed ✖</source>
        <translation>туннель не запустился ✖</translation>
    </message>
    <message>
        <source>%1 Fix the ngrok authtoken or your own URL in Settings → Tunnel.</source>
        <translation>%1 Исправьте authtoken ngrok или свой адрес: Настройки → Туннель.</translation>
    </message>
    <message>
        <source>no public URL ⚠</source>
        <translation>нет публичного адреса ⚠</translation>
    </message>
    <message>
        <source>Bitrix24 cannot reach a local address: set an ngrok authtoken or your own public URL in Settings → Tunnel.</source>
        <translation>Битрикс24 не достучится до локального адреса: укажите authtoken ngrok или свой публичный адрес в Настройки → Туннель.</translation>
    </message>
</context>
<context>
    <name>UndoBar</name>
    <message>
        <source>Undo</source>
        <translation>Отменить</translation>
    </message>
    <message>
        <source>Deleted: %1 — they leave the store in a few seconds</source>
        <translation>Удалено: %1 — через несколько секунд они исчезнут из хранилища</translation>
    </message>
</context>
<context>
    <name>WebhookPage</name>
    <message>
        <source>Receive from an outgoing webhook</source>
        <translation>Приём от исходящего вебхука</translation>
    </message>
    <message>
        <source>In Bitrix24: Developer resources → Other → Outgoing webhook. Paste this URL as its handler, tick the events, save, then paste its application token here.</source>
        <translation>В Битрикс24: Разработчикам → Другое → Исходящий вебхук. Укажите этот адрес как обработчик, отметьте события, сохраните и вставьте сюда токен приложения.</translation>
    </message>
    <message>
        <source>Handler URL:</source>
        <translation>Адрес обработчика:</translation>
    </message>
    <message>
        <source>Profile name:</source>
        <translation>Имя профиля:</translation>
    </message>
    <message>
        <source>Application token:</source>
        <translation>Токен приложения:</translation>
    </message>
</context>
<context>
    <name>WelcomePanel</name>
    <message>
        <source>&lt;b&gt;No portal yet.&lt;/b&gt; Choose how events reach b24monitor:</source>
        <translation>&lt;b&gt;Портал ещё не подключён.&lt;/b&gt; Выберите, как события будут попадать в b24monitor:</translation>
    </message>
    <message>
        <source>Connect a portal…</source>
        <translation>Подключить портал…</translation>
    </message>
    <message>
        <source>Receive from an outgoing webhook…</source>
        <translation>Принимать от исходящего вебхука…</translation>
    </message>
    <message>
        <source>Try without a portal</source>
        <translation>Попробовать без портала</translation>
    </message>
    <message>
        <source>A local application: bind events, read the offline queue, verify tokens</source>
        <translation>Локальное приложение: подписка на события, офлайн-очередь, проверка токенов</translation>
    </message>
    <message>
        <source>A simulated portal on this computer sends realistic events</source>
        <translation>Имитация портала на этом компьютере присылает правдоподобные события</translation>
    </message>
</context>
<context>
    <name>app</name>
    <message>
        <source>b24monitor cannot start</source>
        <translation>b24monitor не может запуститься</translation>
    </message>
</context>
</TS>
