"""Name and place frequency tables per country, written for this world (not taken from cruce).

Each list is in rank order, most frequent first; `weights` turns rank into a Zipf-like weight
with a per-country steepness, so the top surnames (Hernández, López, García...) are as common as
they are in the region (a few per cent each) and the tail is long. Spellings are the registry
spellings, with their accents; the agencies' clerks add the noise.
"""

from __future__ import annotations

from dataclasses import dataclass

COUNTRIES = ("HN", "GT", "SV", "MX", "US")


def _words(text: str) -> tuple[str, ...]:
    return tuple(w.replace("_", " ") for w in text.split())


SURNAMES: dict[str, tuple[str, ...]] = {
    "HN": _words(
        "Hernández López Martínez Rodríguez García Mejía Reyes Flores Cruz Zelaya Sánchez "
        "Castillo Ramos Aguilar Pérez Gómez Velásquez Díaz Rivera Álvarez Maradiaga Banegas "
        "Bonilla Paz Lobo Funes Zúniga Ordóñez Matute Andino Osorto Amador Caballero Padilla "
        "Santos Moncada Ávila Fúnez Rosales Gutiérrez Mendoza Alvarado Cárcamo Zepeda Sierra "
        "Romero Murillo Euceda Lagos Turcios Barahona Irías Cálix Midence Ponce Espinal Lanza "
        "Discua Girón Salgado Valladares Meza Chávez Torres Vásquez Orellana Rivas Galeano "
        "Canales Figueroa Villeda Escoto Colindres Sevilla Aplícano Oseguera Pineda Cáceres"
    ),
    "GT": _words(
        "López García Pérez Hernández Ramírez Morales González Méndez Cuc Rodríguez Xol "
        "Choc Caal Martínez Juárez Gómez Coc Pop Sánchez Castillo Tzul Orozco Chen Ajú "
        "Ixcoy Tum Quej Tiul Ical Batz Chiquín Yat Sic Velásquez Cifuentes Barrios Monterroso "
        "Fuentes Estrada Marroquín Alvarado Mazariegos De_León Girón Tax Chávez Lucas Tzoc "
        "Chun Bol Mo Botzoc Cac Pacay Macz Xuc Ramos Aguilar Reyes Cruz Díaz Vásquez Solís "
        "Recinos Ordóñez Santizo Cabrera Escobar Chacón Guzmán Ochoa Paredes Sandoval Tepaz "
        "Colop Tojín Cumes Yax Jiatz Cotzojay Sután Sipac Pirir"
    ),
    "SV": _words(
        "Hernández Martínez López García Rodríguez Pérez Flores Ramírez Rivera Cruz Mejía "
        "Alvarado Portillo Ayala Guardado Alfaro Menjívar Henríquez Quintanilla Orellana "
        "Argueta Chicas Cornejo Hidalgo Escobar Amaya Ventura Zelaya Lovo Orantes Sorto "
        "Romero Aguilar Castillo Reyes Sánchez Gómez Díaz Ramos Campos Molina Serrano Vásquez "
        "Rosa Ascencio Fuentes Rivas Palacios Melgar Bonilla Mendoza Chávez Guevara Lemus "
        "Villalta Mancía Sibrián Alas Ávalos Recinos Alemán Marroquín Cáceres Benítez "
        "Peñate Granados Iraheta Villatoro Osorio Abarca Linares Majano Cerna Barahona"
    ),
    "MX": _words(
        "Hernández García Martínez López González Pérez Rodríguez Sánchez Ramírez Cruz "
        "Flores Gómez Morales Vázquez Reyes Jiménez Torres Díaz Gutiérrez Ruiz Mendoza "
        "Aguilar Ortiz Moreno Castillo Romero Álvarez Méndez Chávez Rivera Juárez Ramos "
        "Domínguez Herrera Medina Castro Vargas Guzmán Velázquez Muñoz Rojas Contreras "
        "Salazar Luna Ortega Santiago Guerrero Bautista Estrada Cortés Orozco Delgado "
        "Navarro Soto Cervantes Rosas Ríos Sandoval Valdez Campos Pech Canul Chan May Pool "
        "Uc Cauich Kuc Ek Tun Chi Dzul Cab Xool Salinas Ibarra Zamora Trejo Espinoza "
        "Lara Acosta Fuentes Mejía Peña Carrillo Robles Rangel Villegas Arellano Solís"
    ),
    "US": _words(
        "Garcia Rodriguez Martinez Hernandez Lopez Gonzalez Perez Sanchez Ramirez Torres "
        "Flores Rivera Gomez Diaz Reyes Morales Cruz Ortiz Gutierrez Chavez Ramos Ruiz "
        "Alvarez Mendoza Castillo Jimenez Moreno Romero Herrera Medina Aguilar Vasquez "
        "Castro Vargas Fernandez Guzman Munoz Salazar Soto Delgado Pena Rios Alvarado "
        "Sandoval Contreras Valdez Guerrero Ortega Estrada Nunez Maldonado Vega Dominguez "
        "Cortez Navarro Luna Silva Rojas Espinoza Acosta Figueroa Juarez Campos Mejia "
        "Cabrera Padilla Zamora Fuentes Ibarra Trevino Villarreal Garza Cantu Salinas"
    ),
}

# Steepness of the rank-frequency curve: Mayan and Honduran surname pools are more concentrated.
SURNAME_STEEPNESS = {"HN": 1.05, "GT": 0.95, "SV": 1.0, "MX": 1.0, "US": 1.0}

MALE: dict[str, tuple[str, ...]] = {
    "HN": _words(
        "José Juan Luis Carlos Jorge Mario Francisco Marvin Óscar Elvin Wilmer Nelson Denis "
        "Kevin Jesús Miguel Ángel Santos Roberto Henry Edwin Darwin Josué David Daniel "
        "Manuel Pedro Antonio Fernando Alexander Ariel Walter Rafael Víctor Héctor Selvin "
        "Milton Osman Erick Cristian Eduardo Ramón Jonathan Gerson Nahúm"
    ),
    "GT": _words(
        "José Juan Luis Carlos Mario Marvin Byron Edgar Selvin Francisco Miguel Ángel Jorge "
        "Pedro Manuel Domingo Diego Sebastián Mateo Gaspar Antonio Julio Cristian Erick "
        "Kevin Jonathan Otto Rolando Rony Wilson Élmer Aníbal Fernando Oscar Walter Hugo "
        "Vinicio Estuardo Rigoberto Baltazar Tomás Andrés Lorenzo Francisco"
    ),
    "SV": _words(
        "José Juan Carlos Luis Jorge Mario Francisco Miguel Ángel Óscar René Rafael Manuel "
        "Roberto Nelson Douglas William Edwin Wilber Kevin Cristian Jonathan Josué Alexander "
        "Salvador Ernesto Mauricio Antonio Vladimir Edgardo Alfredo Rolando Santos Víctor "
        "Walter Napoleón Fredy Mélvin Marvin Ricardo Armando"
    ),
    "MX": _words(
        "José Juan Luis Jesús Miguel Francisco Carlos Antonio Alejandro Pedro Manuel Jorge "
        "Ricardo Fernando Javier Eduardo Roberto Daniel Rafael Martín Sergio Arturo Alberto "
        "Enrique Raúl Ángel Guillermo Ignacio Salvador Gerardo Héctor Óscar Gabriel Ramón "
        "Rubén Pablo Andrés Santiago Emiliano Jaime Ernesto Alfredo Rodolfo Mario"
    ),
    "US": _words(
        "Jose Juan Luis Carlos Jesus Michael Daniel David Anthony Christopher Miguel Angel "
        "Francisco Antonio Jorge Alejandro Manuel Ricardo Eduardo Roberto Javier Adrian "
        "Fernando Pedro Victor Joseph Steven Jonathan Kevin Brian Eric Andrew Oscar Raul "
        "Mario Hector Ruben Ivan Cesar Sergio Ramon Gabriel Richard Robert"
    ),
}

FEMALE: dict[str, tuple[str, ...]] = {
    "HN": _words(
        "María Ana Rosa Karla Dania Gloria Sandra Lesly Wendy Suyapa Lourdes Blanca Marta "
        "Reina Yolanda Elsa Carmen Sonia Jessica Dilcia Glenda Iris Alejandra Andrea Paola "
        "Guadalupe Marisol Cindy Dunia Nohemí Ingrid Daysi Fátima Silvia Francisca Concepción "
        "Isabel Dolores Teresa Mercedes Josefa"
    ),
    "GT": _words(
        "María Ana Rosa Juana Marta Elena Catarina Manuela Sandra Karla Gloria Blanca Ingrid "
        "Lesbia Mirna Brenda Heidy Silvia Olga Hilda Aura Sonia Evelyn Yesenia Lucía Irma "
        "Francisca Dominga Petrona Candelaria Guadalupe Isabel Magdalena Josefa Concepción "
        "Rosario Verónica Marisol Dolores Teresa"
    ),
    "SV": _words(
        "María Ana Rosa Blanca Gloria Sandra Marta Karla Reina Dinora Morena Xiomara Roxana "
        "Evelyn Wendy Jessica Yesenia Claudia Ruth Sonia Delmy Iris Lorena Marisol Guadalupe "
        "Carmen Concepción Dolores Isabel Mercedes Esmeralda Fátima Cecilia Elsy Patricia "
        "Teresa Francisca Josefa Rosario"
    ),
    "MX": _words(
        "María Guadalupe Juana Margarita Verónica Patricia Leticia Rosa Elizabeth Alejandra "
        "Gabriela Adriana Ana Martha Yolanda Silvia Teresa Araceli Claudia Laura Isabel "
        "Fernanda Daniela Mónica Sofía Carmen Francisca Dolores Concepción Rosario Mercedes "
        "Josefina Lucía Esperanza Beatriz Norma Lorena Brenda Karen Ximena Valeria Marisol"
    ),
    "US": _words(
        "Maria Jessica Ashley Jennifer Stephanie Elizabeth Guadalupe Andrea Daniela Vanessa "
        "Michelle Diana Alejandra Karina Veronica Ana Brenda Erika Claudia Yesenia Adriana "
        "Monica Patricia Rosa Gabriela Leticia Laura Isabel Melissa Jasmine Crystal Sandra "
        "Cynthia Marisol Lorena Martha Elena Natalie Esmeralda Sofia"
    ),
}

GIVEN_STEEPNESS = {"HN": 0.9, "GT": 0.9, "SV": 0.9, "MX": 0.95, "US": 0.85}

# Hypocorisms: what a name is called at home and so, often, what a person gives at a border.
HYPOCORISMS: dict[str, tuple[str, ...]] = {
    "José": ("Pepe", "Chepe", "Joselito"), "Francisco": ("Paco", "Pancho", "Chico", "Kiko"),
    "Guadalupe": ("Lupe", "Lupita"), "Jesús": ("Chuy", "Chucho"), "Ignacio": ("Nacho",),
    "Manuel": ("Manolo", "Meme"), "Roberto": ("Beto",), "Alberto": ("Beto",),
    "Guillermo": ("Memo",), "Enrique": ("Quique",), "Antonio": ("Toño", "Tony"),
    "Eduardo": ("Lalo",), "Alejandro": ("Alex", "Jando"), "Rafael": ("Rafa",),
    "Concepción": ("Concha", "Conchita"), "Dolores": ("Lola",), "Rosario": ("Chayo",),
    "Mercedes": ("Meche",), "Isabel": ("Chabela",), "Francisca": ("Paca", "Pancha"),
    "Josefa": ("Pepa", "Chepita"), "Ernesto": ("Neto",), "Santiago": ("Chago",),
    "Salvador": ("Chava", "Chamba"), "Luis": ("Lucho",), "Jorge": ("Coque",),
    "Ricardo": ("Richi",), "Gerardo": ("Gera",), "Fernando": ("Nando",),
    "Carlos": ("Charly",), "Margarita": ("Mago",), "Teresa": ("Tere",),
    "Patricia": ("Paty",), "Gabriela": ("Gaby",), "Alejandra": ("Ale",),
    "Josefina": ("Chepina", "Pina"), "Rigoberto": ("Rigo",), "Domingo": ("Mingo",),
    "Gilberto": ("Gil",), "Ramón": ("Moncho",), "Rodolfo": ("Fito",),
}

NICKNAMES = _words(
    "El_Flaco El_Gordo El_Chino El_Güero El_Negro El_Pelón El_Chapo El_Diablo El_Chele "
    "El_Cipote La_Flaca La_Güera La_Chela La_Negra El_Indio El_Zurdo"
)


@dataclass(frozen=True)
class Place:
    municipality: str
    department: str


PLACES: dict[str, tuple[Place, ...]] = {
    "HN": tuple(Place(m, d) for m, d in (
        ("Tegucigalpa", "Francisco Morazán"), ("San Pedro Sula", "Cortés"),
        ("Choloma", "Cortés"), ("La Ceiba", "Atlántida"), ("El Progreso", "Yoro"),
        ("Choluteca", "Choluteca"), ("Comayagua", "Comayagua"), ("Danlí", "El Paraíso"),
        ("Juticalpa", "Olancho"), ("Villanueva", "Cortés"), ("Olanchito", "Yoro"),
        ("Santa Rosa de Copán", "Copán"), ("Siguatepeque", "Comayagua"),
        ("Tocoa", "Colón"), ("Catacamas", "Olancho"), ("Puerto Cortés", "Cortés"))),
    "GT": tuple(Place(m, d) for m, d in (
        ("Guatemala", "Guatemala"), ("Mixco", "Guatemala"), ("Villa Nueva", "Guatemala"),
        ("Quetzaltenango", "Quetzaltenango"), ("Cobán", "Alta Verapaz"),
        ("Huehuetenango", "Huehuetenango"), ("San Pedro Carchá", "Alta Verapaz"),
        ("Escuintla", "Escuintla"), ("Totonicapán", "Totonicapán"),
        ("Chichicastenango", "Quiché"), ("San Marcos", "San Marcos"),
        ("Jutiapa", "Jutiapa"), ("Santa Cruz del Quiché", "Quiché"),
        ("Chiquimula", "Chiquimula"), ("Flores", "Petén"), ("Sololá", "Sololá"))),
    "SV": tuple(Place(m, d) for m, d in (
        ("San Salvador", "San Salvador"), ("Soyapango", "San Salvador"),
        ("San Miguel", "San Miguel"), ("Santa Ana", "Santa Ana"), ("Mejicanos", "San Salvador"),
        ("Apopa", "San Salvador"), ("Santa Tecla", "La Libertad"), ("Usulután", "Usulután"),
        ("Ilopango", "San Salvador"), ("Sonsonate", "Sonsonate"), ("Ahuachapán", "Ahuachapán"),
        ("La Unión", "La Unión"), ("Chalatenango", "Chalatenango"), ("Zacatecoluca", "La Paz"))),
    "MX": tuple(Place(m, d) for m, d in (
        ("Ciudad de México", "CDMX"), ("Guadalajara", "Jalisco"), ("Puebla", "Puebla"),
        ("Tijuana", "Baja California"), ("Ciudad Juárez", "Chihuahua"), ("León", "Guanajuato"),
        ("Tapachula", "Chiapas"), ("Oaxaca", "Oaxaca"), ("Mérida", "Yucatán"),
        ("Monterrey", "Nuevo León"), ("Morelia", "Michoacán"), ("Acapulco", "Guerrero"),
        ("Culiacán", "Sinaloa"), ("Veracruz", "Veracruz"), ("Tuxtla Gutiérrez", "Chiapas"),
        ("Zacatecas", "Zacatecas"), ("Reynosa", "Tamaulipas"), ("Valladolid", "Yucatán"))),
    "US": tuple(Place(m, d) for m, d in (
        ("Los Angeles", "CA"), ("Houston", "TX"), ("San Antonio", "TX"), ("Phoenix", "AZ"),
        ("Dallas", "TX"), ("El Paso", "TX"), ("Chicago", "IL"), ("Miami", "FL"),
        ("San Diego", "CA"), ("McAllen", "TX"), ("Brownsville", "TX"), ("Laredo", "TX"),
        ("Tucson", "AZ"), ("Fresno", "CA"), ("Denver", "CO"), ("Albuquerque", "NM"))),
}

PLACE_STEEPNESS = 0.8

STREETS = _words(
    "Colonia_Kennedy Barrio_El_Centro Colonia_Las_Palmas Aldea_El_Rosario Colonia_San_José "
    "Barrio_La_Cruz Colonia_Miraflores Residencial_Los_Pinos Colonia_Libertad Calle_Real "
    "Main_St Oak_St 5th_Ave Elm_St Cantón_El_Jícaro Lotificación_Santa_Fe"
)

COUNTRY_NAMES = {"HN": "Honduras", "GT": "Guatemala", "SV": "El Salvador", "MX": "México",
                 "US": "United States"}

# What a demonym, ISO3 code or country name turns into when a clerk maps it to a wrong
# ISO2 code (GTM -> "GT" is right; "GUA" read as Guam, "ES" for El Salvador is Spain...).
CONFUSED_CODE: dict[str, tuple[str, ...]] = {
    "HN": ("HT", "HU"), "GT": ("GU", "GY"), "SV": ("ES", "SL"), "MX": ("MY", "MO"),
    "US": ("UM", "AS"),
}


def weights(n: int, steepness: float, offset: float = 1.5) -> list[float]:
    """Zipf-like weights for ranks 0..n-1."""
    return [1.0 / (rank + offset) ** steepness for rank in range(n)]
