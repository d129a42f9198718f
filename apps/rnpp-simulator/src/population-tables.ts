/**
 * Reference tables for the synthetic RNPP population: Luxembourg communes with real localities,
 * streets and postal codes, and the communities living in the country with their usual names.
 *
 * Street/postal-code pairs were taken from published business and public-office addresses; in the
 * larger towns Luxembourg assigns postal codes per street (sometimes per side of a street), so a
 * generated house number may in reality sit under a neighbouring code. Weights are rough 2024
 * resident counts in thousands.
 */

export interface StreetRow {
  locality: string;
  street: string;
  /** Four digits, without the `L-` prefix. */
  postalCode: string;
}

export interface CommuneRow {
  commune: string;
  weight: number;
  streets: readonly StreetRow[];
}

const s = (locality: string, street: string, postalCode: string): StreetRow => ({
  locality,
  street,
  postalCode,
});

export const COMMUNES: readonly CommuneRow[] = [
  {
    commune: 'Luxembourg',
    weight: 135,
    streets: [
      s('Luxembourg', 'avenue du X Septembre', '2550'),
      s('Luxembourg', 'rue de Bonnevoie', '1261'),
      s('Luxembourg', 'rue de Beggen', '1221'),
      s('Luxembourg', 'allée du Carmel', '1354'),
      s('Luxembourg', 'rue Charles Darwin', '1433'),
      s('Luxembourg', 'avenue de la Porte-Neuve', '2227'),
      s('Luxembourg', 'rue de Gasperich', '1617'),
      s('Luxembourg', 'val Sainte-Croix', '1371'),
      s('Luxembourg', 'place de la Gare', '1616'),
      s('Luxembourg', 'Grand-Rue', '1660'),
      s('Luxembourg', 'rue Aldringen', '1118'),
      s('Luxembourg', 'rue de Mühlenbach', '2168'),
      s('Luxembourg', 'rue Edward Steichen', '2540'),
      s('Luxembourg', 'avenue de la Liberté', '1930'),
      s('Luxembourg', 'avenue Victor Hugo', '1750'),
      s('Luxembourg', 'avenue de la Gare', '1610'),
      s('Luxembourg', 'rue de Clausen', '1342'),
      s('Luxembourg', "route d'Arlon", '1150'),
      s('Luxembourg', "route d'Esch", '1470'),
      s('Luxembourg', 'boulevard Royal', '2449'),
    ],
  },
  {
    commune: 'Esch-sur-Alzette',
    weight: 37,
    streets: [
      s('Esch-sur-Alzette', "rue de l'Alzette", '4010'),
      s('Esch-sur-Alzette', 'rue Jos Kieffer', '4146'),
      s('Esch-sur-Alzette', 'place Benelux', '4027'),
      s('Esch-sur-Alzette', 'rue de Moedling', '4246'),
      s('Esch-sur-Alzette', 'rue de Luxembourg', '4222'),
      s('Esch-sur-Alzette', "avenue de l'Université", '4365'),
    ],
  },
  {
    commune: 'Differdange',
    weight: 29,
    streets: [
      s('Differdange', 'avenue Charlotte', '4530'),
      s('Differdange', 'rue Batty Weber', '4684'),
      s('Differdange', 'place Marie-Paule Molitor-Peffer', '4549'),
    ],
  },
  {
    commune: 'Dudelange',
    weight: 22,
    streets: [
      s('Dudelange', 'rue du Commerce', '3450'),
      s('Dudelange', 'avenue Grande-Duchesse Charlotte', '3441'),
    ],
  },
  {
    commune: 'Pétange',
    weight: 20,
    streets: [
      s('Pétange', 'route de Longwy', '4750'),
      s('Rodange', 'route de Longwy', '4830'),
      s('Lamadelaine', 'rue de la Providence', '4885'),
    ],
  },
  {
    commune: 'Sanem',
    weight: 18,
    streets: [
      s('Belvaux', "route d'Esch", '4450'),
      s('Belvaux', 'avenue du Blues', '4368'),
      s('Soleuvre', "rue d'Esch", '4440'),
      s('Soleuvre', "place de l'Indépendance", '4418'),
    ],
  },
  {
    commune: 'Hesperange',
    weight: 16,
    streets: [s('Howald', 'rue Joseph Felten', '1508'), s('Hesperange', 'route de Thionville', '5884')],
  },
  {
    commune: 'Käerjeng',
    weight: 11,
    streets: [s('Bascharage', 'rue Nicolas Meyers', '4918')],
  },
  {
    commune: 'Schifflange',
    weight: 11,
    streets: [
      s('Schifflange', 'avenue de la Libération', '3850'),
      s('Schifflange', 'rue de Hédange', '3841'),
      s('Schifflange', 'rue de Drusenheim', '3884'),
    ],
  },
  { commune: 'Ettelbruck', weight: 10, streets: [s('Ettelbruck', 'Grand-Rue', '9050')] },
  {
    commune: 'Strassen',
    weight: 10,
    streets: [s('Strassen', "route d'Arlon", '8010'), s('Strassen', 'rue des Romains', '8041')],
  },
  {
    commune: 'Mersch',
    weight: 10,
    streets: [s('Mersch', 'rue de la Gare', '7535'), s('Mersch', 'place Saint-Michel', '7556')],
  },
  {
    commune: 'Mamer',
    weight: 9,
    streets: [s('Mamer', 'rue du Commerce', '8220'), s('Capellen', 'rue du Kiem', '8328')],
  },
  { commune: 'Bertrange', weight: 9, streets: [s('Bertrange', 'rue de Luxembourg', '8077')] },
  {
    commune: 'Kayl',
    weight: 9,
    streets: [s('Kayl', 'rue de Noertzange', '3670'), s('Tétange', 'rue Neuve', '3781')],
  },
  { commune: 'Walferdange', weight: 9, streets: [s('Walferdange', 'route de Diekirch', '7220')] },
  { commune: 'Junglinster', weight: 8, streets: [s('Junglinster', 'Iernzwe', '6129')] },
  {
    commune: 'Wiltz',
    weight: 8,
    streets: [s('Wiltz', 'Grand-Rue', '9530'), s('Wiltz', 'rue des Tondeurs', '9570')],
  },
  { commune: 'Mondercange', weight: 7.5, streets: [s('Mondercange', 'Grand-Rue', '3926')] },
  {
    commune: 'Diekirch',
    weight: 7.5,
    streets: [s('Diekirch', 'Grand-Rue', '9240'), s('Diekirch', 'rue Saint-Antoine', '9205')],
  },
  { commune: 'Niederanven', weight: 6.5, streets: [s('Niederanven', 'rue Laach', '6945')] },
  { commune: 'Kehlen', weight: 6.5, streets: [s('Kehlen', 'rue de Nospelt', '8283')] },
  { commune: 'Echternach', weight: 5.7, streets: [s('Echternach', 'place du Marché', '6460')] },
  { commune: 'Steinsel', weight: 5.5, streets: [s('Mullendorf', 'rue de Hunsdorf', '7324')] },
  {
    commune: 'Mondorf-les-Bains',
    weight: 5.5,
    streets: [s('Mondorf-les-Bains', 'avenue François Clément', '5612')],
  },
  {
    commune: 'Clervaux',
    weight: 5.5,
    streets: [s('Clervaux', 'Grand-Rue', '9710'), s('Marnach', 'Marbuergerstrooss', '9765')],
  },
  {
    commune: 'Grevenmacher',
    weight: 5,
    streets: [s('Grevenmacher', 'route de Trèves', '6793'), s('Grevenmacher', 'rue de Machtum', '6753')],
  },
  {
    commune: 'Mertert',
    weight: 5,
    streets: [
      s('Mertert', 'route de Wasserbillig', '6686'),
      s('Wasserbillig', 'route de Luxembourg', '6633'),
    ],
  },
  { commune: 'Frisange', weight: 5, streets: [s('Frisange', 'Lëtzebuergerstrooss', '5752')] },
  { commune: 'Dippach', weight: 5, streets: [s('Schouweiler', 'route de Longwy', '4994')] },
  { commune: 'Habscht', weight: 4.5, streets: [s('Eischen', 'rue de Hobscheid', '8473')] },
  { commune: 'Kopstal', weight: 4, streets: [s('Bridel', "rue de l'École", '8128')] },
  { commune: 'Sandweiler', weight: 3.8, streets: [s('Sandweiler', 'rue de Luxembourg', '5230')] },
  { commune: 'Remich', weight: 3.8, streets: [s('Remich', 'rue de la Gare', '5540')] },
  { commune: 'Beaufort', weight: 3, streets: [s('Beaufort', 'Grand-Rue', '6310')] },
  { commune: 'Colmar-Berg', weight: 2.5, streets: [s('Colmar-Berg', 'avenue Gordon Smith', '7740')] },
  { commune: 'Weiler-la-Tour', weight: 2.5, streets: [s('Weiler-la-Tour', 'rue du Schlammestee', '5770')] },
  { commune: 'Larochette', weight: 2.3, streets: [s('Larochette', 'rue de Medernach', '7619')] },
  { commune: 'Vianden', weight: 2, streets: [s('Vianden', 'rue de la Gare', '9420')] },
];

/** Communes where Luxembourg-born residents were born: maternity wards weigh more than their size. */
export const LU_BIRTH_LOCALITIES: readonly { locality: string; weight: number }[] = [
  { locality: 'Luxembourg', weight: 55 },
  { locality: 'Esch-sur-Alzette', weight: 18 },
  { locality: 'Ettelbruck', weight: 9 },
  { locality: 'Dudelange', weight: 4 },
  { locality: 'Differdange', weight: 3 },
  { locality: 'Wiltz', weight: 1.5 },
  { locality: 'Diekirch', weight: 1.5 },
  { locality: 'Pétange', weight: 1 },
  { locality: 'Echternach', weight: 1 },
  { locality: 'Mersch', weight: 1 },
  { locality: 'Clervaux', weight: 0.7 },
  { locality: 'Grevenmacher', weight: 0.7 },
  { locality: 'Remich', weight: 0.6 },
  { locality: 'Vianden', weight: 0.4 },
  { locality: 'Schifflange', weight: 0.5 },
  { locality: 'Kayl', weight: 0.4 },
  { locality: 'Mondorf-les-Bains', weight: 0.3 },
  { locality: 'Walferdange', weight: 0.3 },
  { locality: 'Steinsel', weight: 0.2 },
];

export interface CommunityRow {
  /** ISO 3166-1 alpha-2 code of the community's own nationality. */
  country: string;
  /** Share of the resident population whose family belongs to this community (any nationality). */
  weight: number;
  eu: boolean;
  /** Communities from which refugees and beneficiaries of subsidiary protection mostly come. */
  asylum: boolean;
  /** Probability that a surname is a compound of two family names (Iberian custom). */
  compoundSurname: number;
  /** Probabilities of carrying 1, 2 or 3 given names. */
  givenNameCount: readonly [number, number, number];
  surnames: readonly string[];
  female: readonly string[];
  male: readonly string[];
  /** Foreign birth places; empty for Luxembourg, whose births use LU_BIRTH_LOCALITIES. */
  cities: readonly string[];
}

const split = (names: string): readonly string[] => names.split(',').map((n) => n.trim());

const LUXEMBOURGISH: Omit<CommunityRow, 'country' | 'weight' | 'cities'> = {
  eu: true,
  asylum: false,
  compoundSurname: 0,
  givenNameCount: [0.45, 0.4, 0.15],
  surnames: split(
    'Schmit, Muller, Weber, Wagner, Hoffmann, Thill, Schroeder, Reuter, Kremer, Schmitz, Klein, Meyer, ' +
      'Schiltz, Becker, Kieffer, Kayser, Welter, Hansen, Majerus, Faber, Weis, Ries, Schneider, Goergen, ' +
      'Wirtz, Theisen, Steffen, Ludwig, Koch, Schanck, Back, Jacoby, Feller, Kirsch, Thoma, Peters, Heinen, ' +
      'Frisch, Lentz, Hermes, Bausch, Wagener, Engel, Biver, Molitor, Zeimet, Ernster, Nilles, Pauly, ' +
      'Stoffel, Urbany, Gengler, Flammang, Krier, Glod, Hurt, Schaul, Kinn, Hilbert, Mersch, Wampach',
  ),
  female: split(
    'Marie, Anne, Catherine, Sophie, Claudine, Josée, Nathalie, Sandra, Carole, Tania, Michèle, Christiane, ' +
      'Marguerite, Léa, Emma, Lara, Julie, Laura, Mia, Sarah, Tessy, Joëlle, Nadine, Martine, Monique, ' +
      'Jeanne, Suzanne, Lily, Zoé, Charlotte, Lynn, Nora, Anouk, Françoise, Danielle, Liz',
  ),
  male: split(
    'Jean, Pierre, Paul, Marc, Luc, Claude, Jos, Tom, Yves, Jeff, Steve, Gilles, Patrick, Romain, Michel, ' +
      'Fernand, Nicolas, Guy, Georges, Henri, Ben, Max, Luca, Noah, Gabriel, Léon, Mathis, Liam, Théo, ' +
      'Raoul, Serge, Mike, Carlo, Pit, Charel, Laurent, Joé, Sven, Gast, Lou',
  ),
};

const PORTUGUESE_NAMES = {
  surnames: split(
    'da Silva, Ferreira, Pereira, dos Santos, Rodrigues, Fernandes, Gonçalves, Lopes, Marques, Martins, ' +
      'Gomes, Alves, Ribeiro, Carvalho, Teixeira, Monteiro, Sousa, Costa, Oliveira, Pinto, Moreira, Mendes, ' +
      'Cardoso, Correia, Soares, Almeida, Vieira, Dias, Fonseca, Machado, Nunes, Rocha, Tavares, Barbosa, ' +
      'da Costa, de Sousa, Pires, Antunes, Simões, Cunha',
  ),
  female: split(
    'Maria, Ana, Sofia, Beatriz, Inês, Mariana, Carla, Sandra, Sónia, Patrícia, Cátia, Filipa, Rita, ' +
      'Joana, Fátima, Rosa, Lúcia, Diana, Leonor, Matilde, Margarida, Alice, Vera, Susana, Isabel',
  ),
  male: split(
    'José, João, António, Manuel, Francisco, Paulo, Carlos, Luís, Rui, Nuno, Pedro, Miguel, Tiago, ' +
      'Ricardo, Bruno, Hugo, Fernando, Jorge, Sérgio, Diogo, Rafael, Gonçalo, Duarte, Tomás, Martim',
  ),
};

export const COMMUNITIES: readonly CommunityRow[] = [
  { country: 'LU', weight: 45, cities: [], ...LUXEMBOURGISH },
  {
    country: 'PT',
    weight: 18,
    eu: true,
    asylum: false,
    compoundSurname: 0.45,
    givenNameCount: [0.3, 0.6, 0.1],
    ...PORTUGUESE_NAMES,
    cities: split(
      'Lisboa, Porto, Braga, Viseu, Guarda, Chaves, Coimbra, Vila Real, Bragança, Aveiro, Guimarães, ' +
        'Amarante, Funchal, Ponte de Lima, Mirandela',
    ),
  },
  {
    country: 'FR',
    weight: 9.5,
    eu: true,
    asylum: false,
    compoundSurname: 0,
    givenNameCount: [0.5, 0.38, 0.12],
    surnames: split(
      'Martin, Bernard, Dubois, Thomas, Robert, Richard, Petit, Durand, Leroy, Moreau, Simon, Laurent, ' +
        'Lefebvre, Michel, Garcia, David, Bertrand, Roux, Vincent, Fournier, Morel, Girard, André, Mercier, ' +
        'Dupont, Lambert, Bonnet, François, Martinez, Legrand, Schmitt, Humbert, Colin, Jacquot, Mathieu',
    ),
    female: split(
      'Camille, Chloé, Manon, Inès, Léa, Julie, Élodie, Aurélie, Céline, Isabelle, Valérie, Sylvie, ' +
        'Nathalie, Stéphanie, Émilie, Pauline, Juliette, Clémence, Margaux, Hélène, Brigitte, Louise',
    ),
    male: split(
      'Thomas, Nicolas, Julien, Maxime, Alexandre, Antoine, Romain, Sébastien, Olivier, Philippe, Éric, ' +
        'Christophe, Frédéric, Stéphane, Laurent, Mathieu, Hugo, Lucas, Louis, Arthur, Jules, Bernard',
    ),
    cities: split(
      'Paris, Metz, Thionville, Nancy, Lyon, Strasbourg, Longwy, Lille, Marseille, Reims, Verdun',
    ),
  },
  {
    country: 'IT',
    weight: 4.1,
    eu: true,
    asylum: false,
    compoundSurname: 0,
    givenNameCount: [0.7, 0.27, 0.03],
    surnames: split(
      'Rossi, Russo, Ferrari, Esposito, Bianchi, Romano, Colombo, Ricci, Marino, Greco, Bruno, Gallo, ' +
        'Conti, De Luca, Mancini, Costa, Giordano, Rizzo, Lombardi, Moretti, Barbieri, Fontana, Santoro, ' +
        'Mariani, Rinaldi, Caruso, Ferrara, Galli, Martini, Leone',
    ),
    female: split(
      'Giulia, Francesca, Chiara, Sara, Martina, Alessia, Valentina, Elisa, Federica, Silvia, Paola, ' +
        'Roberta, Anna, Maria, Laura, Giovanna, Rosa, Sofia, Aurora, Elena',
    ),
    male: split(
      'Marco, Alessandro, Luca, Giuseppe, Francesco, Antonio, Giovanni, Roberto, Andrea, Stefano, Matteo, ' +
        'Lorenzo, Davide, Simone, Paolo, Salvatore, Vincenzo, Riccardo, Fabio, Leonardo',
    ),
    cities: split('Roma, Milano, Napoli, Torino, Bari, Palermo, Gubbio, Foggia, Bologna, Genova, Pescara'),
  },
  {
    country: 'BE',
    weight: 3.5,
    eu: true,
    asylum: false,
    compoundSurname: 0,
    givenNameCount: [0.45, 0.4, 0.15],
    surnames: split(
      'Peeters, Janssens, Maes, Jacobs, Mertens, Willems, Claes, Goossens, Wouters, De Smet, Dubois, ' +
        'Lambert, Dupont, Martin, Simon, Leclercq, Lejeune, Renard, Collard, Gérard, Piron, Thiry, ' +
        'Hardy, Lemaire, Francois, Noël, Schmitz, Pirard',
    ),
    female: split(
      'Marie, Laura, Julie, Sarah, Charlotte, Emma, Louise, Anaïs, Amélie, Nathalie, Isabelle, Els, ' +
        'An, Sofie, Ine, Martine, Véronique, Catherine, Elise, Noémie',
    ),
    male: split(
      'Pierre, Philippe, Jean, Luc, Marc, Michel, Benoît, Olivier, Nicolas, Thomas, Maxime, Jan, Pieter, ' +
        'Koen, Wim, Tom, Arnaud, Quentin, Baptiste, Lucas',
    ),
    cities: split('Bruxelles, Arlon, Liège, Namur, Bastogne, Virton, Antwerpen, Gent, Aubange, Charleroi'),
  },
  {
    country: 'DE',
    weight: 2.3,
    eu: true,
    asylum: false,
    compoundSurname: 0,
    givenNameCount: [0.6, 0.35, 0.05],
    surnames: split(
      'Müller, Schmidt, Schneider, Fischer, Weber, Meyer, Wagner, Becker, Schulz, Hoffmann, Schäfer, Koch, ' +
        'Bauer, Richter, Klein, Wolf, Schröder, Neumann, Schwarz, Zimmermann, Braun, Krüger, Hofmann, Hartmann',
    ),
    female: split(
      'Anna, Julia, Lena, Laura, Katharina, Sabine, Petra, Ursula, Claudia, Andrea, Stefanie, Susanne, ' +
        'Hannah, Lea, Sophie, Marie, Johanna, Birgit',
    ),
    male: split(
      'Thomas, Michael, Andreas, Stefan, Christian, Markus, Frank, Jürgen, Klaus, Wolfgang, Lukas, Jonas, ' +
        'Felix, Maximilian, Tobias, Sebastian, Florian, Paul',
    ),
    cities: split('Trier, Saarbrücken, Köln, Berlin, München, Bitburg, Hamburg, Frankfurt am Main, Mainz'),
  },
  {
    country: 'ES',
    weight: 1.2,
    eu: true,
    asylum: false,
    compoundSurname: 0.85,
    givenNameCount: [0.6, 0.4, 0],
    surnames: split(
      'García, Fernández, González, Rodríguez, López, Martínez, Sánchez, Pérez, Gómez, Martín, Jiménez, ' +
        'Ruiz, Hernández, Díaz, Moreno, Álvarez, Muñoz, Romero, Alonso, Gutiérrez',
    ),
    female: split('María, Carmen, Lucía, Laura, Marta, Cristina, Elena, Paula, Isabel, Ana, Raquel, Pilar'),
    male: split(
      'Antonio, José, Manuel, Francisco, David, Javier, Daniel, Carlos, Jesús, Alejandro, Pablo, Sergio',
    ),
    cities: split('Madrid, Barcelona, Sevilla, Ourense, Valencia, Bilbao, Zaragoza, Málaga'),
  },
  {
    country: 'NL',
    weight: 0.8,
    eu: true,
    asylum: false,
    compoundSurname: 0,
    givenNameCount: [0.5, 0.4, 0.1],
    surnames: split(
      'de Jong, Jansen, de Vries, van den Berg, van Dijk, Bakker, Janssen, Visser, Smit, Meijer, de Boer',
    ),
    female: split('Emma, Sanne, Anouk, Lotte, Femke, Anna, Eva, Sophie, Iris, Marieke'),
    male: split('Daan, Sem, Lucas, Jeroen, Bram, Thijs, Ruben, Pieter, Joost, Martijn'),
    cities: split('Amsterdam, Rotterdam, Utrecht, Eindhoven, Maastricht, Den Haag'),
  },
  {
    country: 'PL',
    weight: 0.9,
    eu: true,
    asylum: false,
    compoundSurname: 0,
    givenNameCount: [0.6, 0.4, 0],
    surnames: split(
      'Nowak, Kowalski, Wiśniewski, Wójcik, Kowalczyk, Kamiński, Lewandowski, Zieliński, Szymański, Woźniak',
    ),
    female: split('Anna, Katarzyna, Małgorzata, Agnieszka, Joanna, Magdalena, Monika, Ewa, Zofia, Natalia'),
    male: split('Piotr, Krzysztof, Tomasz, Paweł, Marcin, Michał, Jakub, Adam, Łukasz, Kamil'),
    cities: split('Warszawa, Kraków, Wrocław, Poznań, Gdańsk, Łódź'),
  },
  {
    country: 'RO',
    weight: 0.9,
    eu: true,
    asylum: false,
    compoundSurname: 0,
    givenNameCount: [0.6, 0.4, 0],
    surnames: split('Popescu, Ionescu, Popa, Pop, Radu, Dumitru, Stoica, Stan, Munteanu, Constantin, Marin'),
    female: split('Maria, Elena, Ioana, Andreea, Alexandra, Mihaela, Cristina, Ana, Gabriela, Daniela'),
    male: split('Andrei, Alexandru, Mihai, Ion, Gheorghe, Florin, Cristian, Adrian, Ionuț, Bogdan'),
    cities: split('Bucureşti, Cluj-Napoca, Iaşi, Timişoara, Constanţa, Braşov'),
  },
  {
    country: 'GR',
    weight: 0.7,
    eu: true,
    asylum: false,
    compoundSurname: 0,
    givenNameCount: [0.8, 0.2, 0],
    surnames: split('Papadopoulos, Georgiou, Nikolaou, Papadakis, Vlachos, Dimitriou, Konstantinou, Pappas'),
    female: split('Maria, Eleni, Aikaterini, Vasiliki, Sofia, Georgia, Dimitra, Anastasia'),
    male: split('Georgios, Dimitrios, Konstantinos, Ioannis, Nikolaos, Panagiotis, Christos, Vasileios'),
    cities: split('Athína, Thessaloníki, Pátra, Irákleio, Lárisa'),
  },
  {
    country: 'CV',
    weight: 1.2,
    eu: false,
    asylum: false,
    compoundSurname: 0.4,
    givenNameCount: [0.4, 0.55, 0.05],
    ...PORTUGUESE_NAMES,
    cities: split('Praia, Mindelo, Assomada, Santa Maria, São Filipe'),
  },
  {
    country: 'BR',
    weight: 1.3,
    eu: false,
    asylum: false,
    compoundSurname: 0.4,
    givenNameCount: [0.45, 0.5, 0.05],
    ...PORTUGUESE_NAMES,
    cities: split('São Paulo, Rio de Janeiro, Belo Horizonte, Salvador, Curitiba, Porto Alegre, Recife'),
  },
  {
    country: 'CN',
    weight: 0.7,
    eu: false,
    asylum: false,
    compoundSurname: 0,
    givenNameCount: [1, 0, 0],
    surnames: split('Wang, Li, Zhang, Liu, Chen, Yang, Huang, Zhao, Wu, Zhou, Xu, Sun'),
    female: split('Xiu Ying, Mei, Li Na, Jing, Yan, Xiaoling, Hui, Fang'),
    male: split('Wei, Jun, Hao, Lei, Tao, Jian, Ming, Qiang'),
    cities: split('Beijing, Shanghai, Wenzhou, Qingtian, Guangzhou, Nanjing'),
  },
  {
    country: 'IN',
    weight: 1.3,
    eu: false,
    asylum: false,
    compoundSurname: 0,
    givenNameCount: [0.8, 0.2, 0],
    surnames: split('Sharma, Patel, Singh, Kumar, Gupta, Iyer, Reddy, Nair, Rao, Mehta, Joshi, Menon'),
    female: split('Priya, Ananya, Divya, Lakshmi, Sneha, Pooja, Kavya, Aditi, Meera, Shreya'),
    male: split('Rahul, Arjun, Vikram, Rohan, Amit, Suresh, Karthik, Aditya, Sanjay, Vivek'),
    cities: split('Mumbai, Bengaluru, Chennai, Delhi, Hyderabad, Pune, Kolkata'),
  },
  {
    country: 'US',
    weight: 0.5,
    eu: false,
    asylum: false,
    compoundSurname: 0,
    givenNameCount: [0.35, 0.65, 0],
    surnames: split('Smith, Johnson, Williams, Brown, Jones, Miller, Davis, Wilson, Anderson, Taylor, Moore'),
    female: split('Emily, Jessica, Ashley, Sarah, Jennifer, Olivia, Madison, Elizabeth, Grace, Abigail'),
    male: split('Michael, Christopher, Matthew, Joshua, David, James, Daniel, Ryan, Andrew, John'),
    cities: split('New York, Chicago, Boston, San Francisco, Seattle, Washington'),
  },
  {
    country: 'GB',
    weight: 0.9,
    eu: false,
    asylum: false,
    compoundSurname: 0,
    givenNameCount: [0.4, 0.6, 0],
    surnames: split(
      'Smith, Jones, Taylor, Brown, Williams, Wilson, Evans, Thomas, Roberts, Walker, Wright, Hughes',
    ),
    female: split('Emma, Charlotte, Sophie, Hannah, Lucy, Amelia, Olivia, Emily, Jessica, Rebecca'),
    male: split('James, Oliver, Jack, Harry, George, William, Thomas, Edward, Daniel, Samuel'),
    cities: split('London, Manchester, Birmingham, Leeds, Edinburgh, Bristol, Glasgow'),
  },
  {
    country: 'UA',
    weight: 1,
    eu: false,
    asylum: false,
    compoundSurname: 0,
    givenNameCount: [1, 0, 0],
    surnames: split(
      'Melnyk, Shevchenko, Kovalenko, Bondarenko, Tkachenko, Kravchenko, Oliinyk, Boiko, Koval',
    ),
    female: split('Olena, Iryna, Tetiana, Nataliia, Oksana, Yuliia, Anastasiia, Kateryna, Sofiia'),
    male: split('Oleksandr, Andrii, Serhii, Dmytro, Volodymyr, Mykola, Maksym, Yurii, Taras'),
    cities: split('Kyiv, Kharkiv, Lviv, Odesa, Dnipro, Zaporizhzhia'),
  },
  {
    country: 'ME',
    weight: 0.6,
    eu: false,
    asylum: false,
    compoundSurname: 0,
    givenNameCount: [1, 0, 0],
    surnames: split('Hodžić, Kalač, Dedeić, Murić, Adrović, Husović, Bećirović, Šabotić, Nikolić, Popović'),
    female: split('Amela, Elma, Selma, Emina, Jovana, Milica, Aida, Lejla'),
    male: split('Emir, Adnan, Edin, Amar, Nikola, Marko, Senad, Elvis'),
    cities: split('Podgorica, Bijelo Polje, Rožaje, Berane, Nikšić, Plav'),
  },
  {
    country: 'RS',
    weight: 0.5,
    eu: false,
    asylum: false,
    compoundSurname: 0,
    givenNameCount: [1, 0, 0],
    surnames: split(
      'Jovanović, Petrović, Nikolić, Marković, Đorđević, Stojanović, Ilić, Stanković, Pavlović',
    ),
    female: split('Jelena, Milica, Ana, Marija, Jovana, Ivana, Tijana, Snežana'),
    male: split('Nikola, Marko, Stefan, Aleksandar, Miloš, Dragan, Nenad, Zoran'),
    cities: split('Beograd, Novi Sad, Niš, Kragujevac, Subotica'),
  },
  {
    country: 'BA',
    weight: 0.4,
    eu: false,
    asylum: false,
    compoundSurname: 0,
    givenNameCount: [1, 0, 0],
    surnames: split('Hodžić, Hadžić, Begić, Delić, Mehmedović, Kovačević, Husić, Salihović'),
    female: split('Amra, Lejla, Amina, Merima, Selma, Adna, Azra, Emina'),
    male: split('Adnan, Amir, Emir, Haris, Kenan, Mirza, Tarik, Senad'),
    cities: split('Sarajevo, Tuzla, Zenica, Bihać, Mostar'),
  },
  {
    country: 'SY',
    weight: 0.3,
    eu: false,
    asylum: true,
    compoundSurname: 0,
    givenNameCount: [1, 0, 0],
    surnames: split(
      'Al-Ahmad, Al-Hassan, Haddad, Khalil, Darwish, Ibrahim, Al-Khatib, Mansour, Nasser, Hamdan',
    ),
    female: split('Fatima, Rama, Lana, Nour, Hala, Rasha, Yasmin, Amal'),
    male: split('Mohammad, Ahmad, Khaled, Omar, Ali, Yousef, Hussein, Samer'),
    cities: split('Dimashq, Halab, Homs, Hama, Latakia'),
  },
  {
    country: 'ER',
    weight: 0.2,
    eu: false,
    asylum: true,
    compoundSurname: 0,
    givenNameCount: [1, 0, 0],
    surnames: split('Tesfay, Gebremedhin, Haile, Berhane, Kidane, Tekle, Woldu, Ghebreyesus'),
    female: split('Helen, Senait, Selam, Meron, Luwam, Saba, Yordanos, Rahwa'),
    male: split('Yonas, Daniel, Samuel, Filmon, Biniam, Mussie, Robel, Henok'),
    cities: split('Asmara, Keren, Massawa, Mendefera'),
  },
  {
    country: 'AF',
    weight: 0.15,
    eu: false,
    asylum: true,
    compoundSurname: 0,
    givenNameCount: [1, 0, 0],
    surnames: split('Ahmadi, Rahimi, Karimi, Hosseini, Sultani, Noori, Amiri, Safi'),
    female: split('Maryam, Zahra, Fereshta, Shabnam, Mursal, Nargis, Parisa, Sima'),
    male: split('Ahmad, Mohammad, Ali, Hamid, Farid, Jawad, Mustafa, Rahim'),
    cities: split('Kabul, Herat, Mazar-i-Sharif, Kandahar'),
  },
  {
    country: 'IQ',
    weight: 0.1,
    eu: false,
    asylum: true,
    compoundSurname: 0,
    givenNameCount: [1, 0, 0],
    surnames: split('Al-Jubouri, Al-Obaidi, Hussein, Kareem, Jasim, Abbas, Al-Saadi'),
    female: split('Zainab, Noor, Maryam, Huda, Sara, Ruqaya'),
    male: split('Ali, Hassan, Mustafa, Haider, Ahmed, Karrar'),
    cities: split('Baghdad, Mosul, Erbil, Basra'),
  },
];

/** Rough share of each age (0..100) in Luxembourg's age pyramid, young-adult heavy from immigration. */
export function agePyramidWeight(age: number): number {
  if (age < 20) return 1;
  if (age < 30) return 1.25;
  if (age < 55) return 1.45;
  if (age < 65) return 1.2;
  if (age < 75) return 0.85;
  if (age < 85) return 0.5;
  if (age < 95) return 0.18;
  return 0.03;
}

export const NOBLE_TITLES: { readonly F: readonly string[]; readonly M: readonly string[] } = {
  F: ['Comtesse', 'Baronne'],
  M: ['Comte', 'Baron', 'Chevalier'],
};
