"""Word lists the demo data is drawn from: Bulgarian (Cyrillic) and English names, companies,
places, job titles and phrases. Data, not interface text: not translated."""

from __future__ import annotations

BG_MALE_FIRST = (
    "Иван", "Георги", "Димитър", "Николай", "Петър", "Христо", "Стефан", "Тодор", "Васил",
    "Александър", "Мартин", "Калоян", "Борислав", "Стоян", "Йордан", "Емил", "Владимир",
    "Пламен", "Красимир", "Виктор", "Радослав", "Любомир", "Цветан", "Ангел", "Симеон",
    "Асен", "Огнян", "Илия", "Веселин", "Живко",
)  # fmt: skip
BG_FEMALE_FIRST = (
    "Мария", "Елена", "Иванка", "Десислава", "Гергана", "Петя", "Радка", "Николета",
    "Виктория", "Цветелина", "Теодора", "Силвия", "Милена", "Весела", "Ралица", "Антония",
    "Йоана", "Светла", "Яна", "Боряна", "Камелия", "Надежда", "Галина", "Росица", "Зорница",
    "Калина", "Снежана", "Жана", "Людмила", "Стефка",
)  # fmt: skip
# Male forms; female surnames add "а" (Петров → Петрова, Стоянски → Стоянска).
BG_SURNAMES = (
    "Иванов", "Петров", "Георгиев", "Димитров", "Николов", "Стоянов", "Христов", "Тодоров",
    "Илиев", "Василев", "Атанасов", "Ангелов", "Йорданов", "Марков", "Костов", "Попов",
    "Стефанов", "Колев", "Кирилов", "Цветков", "Михайлов", "Жеков", "Русев", "Пенев",
    "Александров", "Янков", "Борисов", "Денев", "Любенов", "Шишков", "Чолаков", "Щерев",
    "Данаилов", "Кръстев", "Вълчев", "Гочев", "Ковачев", "Радев", "Симеонов", "Зографски",
    "Белчев", "Евтимов", "Найденов", "Узунов", "Фотев", "Хаджиев", "Църнев", "Ючормански",
)  # fmt: skip
EN_FIRST = (
    "James", "Oliver", "Thomas", "William", "Harry", "George", "Daniel", "Michael", "David",
    "Emma", "Olivia", "Sophie", "Charlotte", "Emily", "Grace", "Hannah", "Lucy", "Chloe",
    "José", "Zoë", "Renée", "André", "Noah", "Liam", "Ava", "Mia", "Ethan", "Isla",
)  # fmt: skip
EN_SURNAMES = (
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Evans",
    "Walker", "Wright", "Thompson", "White", "Hughes", "Edwards", "Green", "Hall", "Wood",
    "Harris", "Clarke", "Jackson", "Turner", "O'Connor", "García", "Müller", "Novak",
)  # fmt: skip

BG_COMPANY_ROOTS = (
    "Балкан", "Родопа", "Витоша", "Пирин", "Тракия", "Дунав", "Черноморие", "Странджа",
    "Искър", "Марица", "Рила", "Хемус", "Мизия", "Одесос", "Сердика", "Пловдив", "Янтра",
    "Огоста", "Сакар", "Белмекен", "Еделвайс", "Зора", "Орион", "Феникс", "Сириус", "Алфа",
    "Бета", "Делта", "Омега", "Вега", "Арда", "Тунджа", "Камчия", "Осъм", "Стряма",
)  # fmt: skip
BG_COMPANY_KINDS = (
    "Софт", "Системс", "Трейд", "Логистик", "Строй", "Консулт", "Агро", "Медикал", "Енерджи",
    "Инвест", "Дизайн", "Принт", "Фуудс", "Текстил", "Мебел", "Транс", "Ауто", "Фарма",
    "Технолоджис", "Груп",
)  # fmt: skip
BG_COMPANY_FORMS = ("ЕООД", "ЕООД", "ООД", "ООД", "АД", "ЕАД")
EN_COMPANY_ROOTS = (
    "Northwind", "Bluebird", "Silverline", "Brightwave", "Redstone", "Greenfield", "Oakridge",
    "Ironbridge", "Clearwater", "Summit", "Pinnacle", "Horizon", "Keystone", "Evergreen",
    "Lighthouse", "Harbour", "Crescent", "Falcon", "Meridian", "Atlas",
)  # fmt: skip
EN_COMPANY_KINDS = (
    "Software", "Logistics", "Foods", "Energy", "Analytics", "Media", "Health", "Robotics",
    "Capital", "Labs", "Networks", "Digital", "Partners", "Solutions", "Retail",
)  # fmt: skip
EN_COMPANY_FORMS = ("Ltd", "Ltd", "Inc", "LLC", "GmbH")

# (city, postcode, landline area code without the leading 0)
BG_CITIES = (
    ("София", "1000", "2"), ("София", "1407", "2"), ("София", "1700", "2"),
    ("Пловдив", "4000", "32"), ("Варна", "9000", "52"), ("Бургас", "8000", "56"),
    ("Русе", "7000", "82"), ("Стара Загора", "6000", "42"), ("Плевен", "5800", "64"),
    ("Велико Търново", "5000", "62"), ("Благоевград", "2700", "73"), ("Габрово", "5300", "66"),
    ("Шумен", "9700", "54"), ("Добрич", "9300", "58"), ("Хасково", "6300", "38"),
    ("Сливен", "8800", "44"), ("Пазарджик", "4400", "34"), ("Враца", "3000", "92"),
)  # fmt: skip
# (city, postcode, country, phone prefix)
FOREIGN_CITIES = (
    ("London", "EC1A 1BB", "GB", "+4420"), ("Manchester", "M1 1AE", "GB", "+44161"),
    ("New York", "10001", "US", "+1212"), ("Austin", "73301", "US", "+1512"),
    ("Berlin", "10115", "DE", "+4930"), ("Vienna", "1010", "AT", "+431"),
)  # fmt: skip
BG_STREETS = (
    "бул. Витоша", "бул. България", "ул. Граф Игнатиев", "бул. Цариградско шосе",
    "ул. Раковски", "бул. Христо Ботев", "ул. Шипка", "бул. Мария Луиза", "ул. Оборище",
    "бул. Васил Левски", "ул. Княз Борис I", "бул. Сливница",
)  # fmt: skip
EN_STREETS = ("High Street", "Station Road", "Main Street", "Church Lane", "Park Avenue")

INDUSTRIES = (
    "Софтуер", "Производство", "Търговия на едро", "Търговия на дребно", "Строителство",
    "Логистика", "Финансови услуги", "Здравеопазване", "Образование", "Енергетика",
    "Туризъм", "Земеделие", "Телекомуникации", "Консултантски услуги", "Медии",
)  # fmt: skip

BG_JOB_TITLES = (
    "Управител", "Изпълнителен директор", "Търговски директор", "Финансов директор",
    "Мениджър продажби", "Главен счетоводител", "Маркетинг мениджър", "ИТ директор",
    "Офис мениджър", "Ръководител обществени поръчки", "Оперативен директор",
    "Специалист снабдяване", "Ръководител проекти", "Юрисконсулт",
)  # fmt: skip
EN_JOB_TITLES = (
    "CEO", "CTO", "Head of Sales", "Procurement Manager", "Finance Director",
    "Operations Manager", "Marketing Lead", "Account Manager", "IT Manager", "Office Manager",
)  # fmt: skip

SOURCES = ("Уебсайт", "Препоръка", "Изложение", "LinkedIn", "Студено обаждане", "Партньор")

TAGS = (
    ("VIP", "#b42318"), ("Партньор", "#2457d6"), ("Дистрибутор", "#0e7490"),
    ("Newsletter", "#6b7280"), ("Горещ контакт", "#c2410c"), ("Държавна поръчка", "#4d7c0f"),
    ("Enterprise", "#7c3aed"), ("Реферал", "#be185d"), ("Износ", "#0f766e"),
)  # fmt: skip

DEAL_PRODUCTS = (
    "Годишен лиценз", "Внедряване на CRM", "Поддръжка 12 месеца", "Облачна миграция",
    "Обучение на екипа", "Доставка на хардуер", "Консултантски пакет", "Разширение лицензи",
    "Annual subscription", "Implementation project", "Support renewal", "Pilot project",
    "Data migration", "Custom integration",
)  # fmt: skip
LOST_REASONS = (
    "Цена", "Избраха конкурент", "Няма бюджет", "Проектът е отложен", "Без отговор",
    "Price too high", "Chose a competitor",
)  # fmt: skip

TASK_SUBJECTS = (
    "Изпрати оферта", "Обади се за обратна връзка", "Подготви договор", "Провери плащането",
    "Изпрати презентация", "Уточни техническите изисквания", "Follow up on proposal",
    "Send the contract for signature", "Prepare a demo", "Renewal reminder",
)  # fmt: skip
CALL_SUBJECTS = (
    "Първи разговор", "Обсъждане на цената", "Разговор с финансовия отдел",
    "Discovery call", "Pricing call", "Check-in call",
)  # fmt: skip
MEETING_SUBJECTS = (
    "Среща в офиса на клиента", "Демонстрация на продукта", "Преговори по договора",
    "Kick-off meeting", "Quarterly business review", "On-site workshop",
)  # fmt: skip
EMAIL_SUBJECTS = (
    "Оферта и ценова листа", "Благодарим за срещата", "Покана за уебинар",
    "Proposal attached", "Meeting notes", "Invoice and next steps",
)  # fmt: skip
DESCRIPTIONS = (
    "",
    "",
    "Клиентът иска отстъпка при плащане за две години.",
    "Да включим и обучение за новите служители.",
    "Решението се взима от борда следващия месец.",
    "They asked for a reference customer in their industry.",
    "Budget approved, waiting for the purchase order.",
)  # fmt: skip
NOTES = (
    "Предпочита комуникация по имейл, а не по телефон.",
    "Имат склад в Пловдив, централата е в София.",
    "Работят с конкурент от 3 години, договорът изтича през есента.",
    "Интересуват се от интеграция със счетоводната им система.",
    "Говорихме на изложението в Интер Експо Център.",
    "Decision maker is the CFO; the CEO signs off above €50k.",
    "Asked for an English-language contract.",
    "Very happy with the pilot, wants to roll out to all branches.",
)  # fmt: skip

# Custom field definitions the seed makes sure exist: (entity, key, label, type, choices).
CUSTOM_FIELDS: tuple[tuple[str, str, str, str, list[str]], ...] = (
    ("organization", "segment", "Сегмент", "choice", ["SMB", "Mid-market", "Enterprise"]),
    ("organization", "founded", "Година на основаване", "number", []),
    ("contact", "preferred_language", "Предпочитан език", "choice", ["Български", "English"]),
    ("contact", "newsletter", "Абониран за бюлетина", "bool", []),
    ("deal", "lead_source", "Източник", "choice", list(SOURCES)),
    ("deal", "contract_months", "Срок на договора (месеци)", "number", []),
)  # fmt: skip
